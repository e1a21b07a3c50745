export { BatonError, type ErrorCode, type ErrorInfo, FatalToolError, toErrorInfo } from './baton-error.js'
