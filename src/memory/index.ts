export { compileGlob, compileGlobs } from './glob.js'
export { Memory, type MemoryEntry, type MemoryScope, type ScopedMemory } from './memory.js'
