export { compileGlob, compileGlobs } from './glob.js'
export {
  keySafe,
  Memory,
  type MemoryEntry,
  type MemoryScope,
  ownContextPrefix,
  type ScopedMemory,
} from './memory.js'
