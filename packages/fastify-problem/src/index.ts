export { HttpProblem, isHttpProblem, validationProblem } from './http-problem.js'
export { fastifyProblem, frameworkErrors, buildProblem, PROBLEM_CONTENT_TYPE } from './problem-handler.js'
export { createStrictValidatorCompiler } from './strict-validation.js'
