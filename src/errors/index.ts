export {
  BatonError,
  ERROR_CODES,
  type ErrorCode,
  type ErrorInfo,
  FatalToolError,
  isErrorCode,
  thrownMessage,
  toErrorInfo,
} from './baton-error.js'
