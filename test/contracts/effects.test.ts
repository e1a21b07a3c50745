import { durableDoor } from '../../src/durable/transcript-io.js'
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

// The durable door keeps the contract of the effects it wraps (its lines are stored first).
const stored = async () => {}
effectsContract({
  name: 'durable door over liveEffects',
  make: () => durableDoor(liveEffects(), stored),
  answersFromRecording: false,
  onMissing: 'live',
})

effectsContract({
  name: 'durable door over resume',
  make: (recording) =>
    durableDoor(replayEffects(new Recording(recording), replayPolicy('resume', {})), stored),
  answersFromRecording: true,
  onMissing: 'live',
})
