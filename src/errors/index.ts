export {
  BatonError,
  ERROR_CODES,
  type ErrorCode,
  type ErrorInfo,
  FatalToolError,
  isErrorCode,
  toErrorInfo,
} from './baton-error.js'
