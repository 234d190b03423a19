export const rps = (value: number): string => `${Math.round(value).toLocaleString('en-US')} req/s`
export const ms = (value: number): string => Number.isFinite(value) ? `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms` : 'n/a'
export const ratio = (value: number): string => Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a'
export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`
export const pct = (value: number): string => `${(value * 100).toFixed(1)}%`
export const count = (value: number): string => value.toLocaleString('en-US')
