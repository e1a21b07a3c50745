import { afterEach, describe, expect, it } from 'vitest'
import { gate, resetRateLimits, setRateLimits, type Ticket } from '../limits/index.js'
import { endpointOf } from './endpoint.js'

afterEach(() => resetRateLimits())

describe('the endpoint of a provider’s calls', () => {
  it('is scoped by provider, model, server and, when named, account; the key is never in it', () => {
    const key = 'sk-test-ENDPOINT-0123456789'
    const endpoint = endpointOf('openai', 'openai:gpt-4o', 'https://api.openai.com/v1/', key, 'team-a')
    expect(endpoint.scopes).toEqual(['openai', 'openai:gpt-4o', 'https://api.openai.com/v1', 'key:team-a'])
    expect(JSON.stringify(endpoint)).not.toContain(key)
    // Another key is another account: a pause of one does not hold the other.
    expect(
      endpointOf('openai', 'openai:gpt-4o', 'https://api.openai.com/v1', 'sk-other', undefined).key,
    ).not.toBe(endpoint.key)
  })

  it('shares a limit per account between the models that name it, and not with the others', async () => {
    setRateLimits({ 'key:team-a': { maxConcurrent: 1 } })
    const teamA = (model: string) =>
      endpointOf('openai', model, 'https://api.openai.com/v1', 'sk-a', 'team-a')
    const first = (await gate(teamA('openai:gpt-4o'), () => 1, {})) as Ticket
    let second: Ticket | undefined
    void Promise.resolve(gate(teamA('openai:gpt-4o-mini'), () => 1, {})).then((ticket) => {
      second = ticket
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(second).toBeUndefined()
    const other = gate(
      endpointOf('openai', 'openai:gpt-4o', 'https://api.openai.com/v1', 'sk-b', 'team-b'),
      () => 1,
      {},
    )
    expect(other).not.toBeInstanceOf(Promise)
    first.release()
    await new Promise((resolve) => setImmediate(resolve))
    expect(second).toBeDefined()
  })
})
