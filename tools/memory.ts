/** The shared-memory tools (`memory_read`, `memory_write`, `memory_list`), here beside the other ready-made tools. */
export { memoryTools } from 'baton'
