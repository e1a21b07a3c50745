import { liveEffects } from '../../src/effects/index.js'
import { Recording } from '../../src/replay/recording.js'
import { replayPolicy } from '../../src/replay/replay.js'
import { replayEffects } from '../../src/replay/replay-effects.js'
import { effectsContract } from './effects.contract.js'

effectsContract({
  name: 'liveEffects',
  make: () => liveEffects(),
  answersFromRecording: false,
  onMissing: 'live',
})

effectsContract({
  name: 'replay (strict)',
  make: (recording) => replayEffects(new Recording(recording), replayPolicy('replay', {})),
  answersFromRecording: true,
  onMissing: 'error',
})

effectsContract({
  name: 'resume',
  make: (recording) => replayEffects(new Recording(recording), replayPolicy('resume', {})),
  answersFromRecording: true,
  onMissing: 'live',
})

effectsContract({
  name: 'fork (from a step after the recording)',
  make: (recording) => replayEffects(new Recording(recording), replayPolicy('fork', { from: 3 })),
  answersFromRecording: true,
  onMissing: 'live',
})
