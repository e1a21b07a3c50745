/**
 * The model factories refuse options they cannot use when the model is made, naming the option:
 * a misspelt one would otherwise be dropped, and every call made without it.
 */
import { describe, expect, it } from 'vitest'
import { anthropic, compatible, openai, openaiResponses } from '../../src/providers/index.js'

const refusal = (make: () => unknown): { code?: string; message: string } => {
  try {
    make()
  } catch (error) {
    return error as { code?: string; message: string }
  }
  throw new Error('expected the factory to refuse its options')
}

describe('model factories', () => {
  it.each([
    [
      () => openai('gpt-4o', { apikey: 'sk-x' } as never),
      'openai: apikey is not a known openai option (did you mean apiKey?)',
    ],
    [
      () => compatible('llama3.1', { baseUrl: 'http://localhost:11434/v1' } as never),
      'compatible: baseUrl is not a known compatible option (did you mean baseURL?)',
    ],
    [() => openai('gpt-4o', { temperature: 0 } as never), '(did you mean params: { temperature }?)'],
    [() => openai('gpt-4o', { maxRetries: 2 } as never), '(did you mean retry: { maxAttempts }?)'],
    [
      () => openai('gpt-4o', { retry: { attempts: 2 } } as never),
      'openai: retry.attempts is not a known retry option (did you mean maxAttempts?)',
    ],
    [
      () => openai('gpt-4o', { retry: { maxAttempts: 0 } }),
      'openai: retry.maxAttempts must be a whole number of 1 or more, got number 0',
    ],
    [
      () => openai('gpt-4o', { retry: 3 } as never),
      'openai: retry must be false or { maxAttempts?, baseDelayMs?, maxDelayMs?, timeoutMs? }',
    ],
    [
      () => compatible('llama3.1', { baseURL: 'localhost:11434/v1' }),
      'compatible: baseURL must be an http(s) URL',
    ],
    [
      () => openai('gpt-4o', { headers: { 'OpenAI-Project': 7 } } as never),
      'openai: headers must be an object of strings',
    ],
    [
      () => openai('gpt-4o', { maxTokens: 1.5 }),
      'openai: maxTokens must be a positive whole number, got number 1.5',
    ],
    [
      () => openaiResponses('gpt-5', { reasoningEffort: 'high' } as never),
      'openaiResponses: reasoningEffort is not a known openaiResponses option (did you mean params?)',
    ],
    [() => openaiResponses(''), 'openaiResponses: the model name is empty'],
    [
      () => anthropic('claude-sonnet-4-5', { thinkng: { budgetTokens: 2048 } } as never),
      '(did you mean thinking?)',
    ],
    [
      () => anthropic('claude-sonnet-4-5', { thinking: { budgetTokens: 100 } }),
      'anthropic: thinking must be { budgetTokens }, a whole number of tokens of 1024 or more',
    ],
  ])('%#: refuses what it cannot use, by name', (make, message) => {
    const error = refusal(make)
    expect(error.code === 'INVALID_OPTIONS' || error.code === 'INVALID_DEFINITION').toBe(true)
    expect(error.message).toContain(message)
  })

  it('never quotes an API key it refuses', () => {
    const error = refusal(() => openai('gpt-4o', { apiKey: 12345678901234 } as never))
    expect(error.message).toBe('openai: apiKey must be a string, got number')
  })

  it('take every option they document', () => {
    const all = {
      apiKey: 'sk-test',
      baseURL: 'https://gateway.example.com/v1',
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 1_000 },
      headers: { 'x-team': 'a' },
      params: { temperature: 0 },
      maxTokens: 512,
      sharedLimits: false,
      rateLimitKey: 'team-a',
    }
    expect(openai('gpt-4o', all).id).toBe('openai:gpt-4o')
    expect(compatible('llama3.1', { ...all, retry: false }).id).toBe('compatible:llama3.1')
    expect(openaiResponses('gpt-5', all).id).toBe('openai:gpt-5')
    expect(anthropic('claude-sonnet-4-5', { ...all, thinking: { budgetTokens: 2_048 } }).id).toBe(
      'anthropic:claude-sonnet-4-5',
    )
  })
})
