/** Route atoms of this service: the security requirements of protected and open routes. */
export const bearerSecurity = [{ bearerAuth: [] }]
export const openSecurity: Array<Record<string, string[]>> = []
