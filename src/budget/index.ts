export {
  Budget,
  type BudgetLeft,
  type BudgetRefusal,
  type BudgetUsage,
  emptyUsage,
  type ModelCallGrant,
} from './budget.js'
export { pricesProblem } from './check-prices.js'
export { estimateTokens, messageChars } from './estimate-tokens.js'
export { type BudgetLimit, type BudgetLimits, checkBudgetLimits, LIMITS } from './limits.js'
export {
  costOf,
  DEFAULT_PRICES,
  findPrice,
  layerPrices,
  type ModelPrice,
  type PriceTable,
  priceFor,
} from './price-table.js'
export { type CostTicket, UnpricedCosts } from './unpriced-costs.js'
