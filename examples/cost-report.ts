#!/usr/bin/env node
/**
 * Prints the cost estimate of the hybrid order pipeline (examples/stacks/07-hybrid.ts) against the
 * same steps run inline in one Standard machine, from the transitions the local runner counts.
 *
 *   npx tsx examples/cost-report.ts
 *
 * Both machines run through LocalWorkflowRunner with the example's own Lambda handlers
 * (examples/functions/hybrid), for orders of a few sizes: pricing is per line item, so the
 * Express child gets chattier as orders grow.
 */
import { App } from 'aws-cdk-lib';
import { handler as applyDiscounts } from './functions/hybrid/apply-discounts';
import { handler as chargePayment } from './functions/hybrid/charge-payment';
import { handler as enrichOrder } from './functions/hybrid/enrich-order';
import { handler as priceLineItem } from './functions/hybrid/price-line-item';
import { handler as rejectOrder } from './functions/hybrid/reject-order';
import { handler as shipOrder } from './functions/hybrid/ship-order';
import { handler as validateOrder } from './functions/hybrid/validate-order';
import { register, registerAllStandard } from './stacks/07-hybrid';
import { HybridWorkflow, SequentialWorkflow } from '../src';
import { LocalWorkflowRunner, RunResult, TaskHandler } from '../src/testing';
import { CostReport, costReport, formatCostReport } from '../src/testing/cost-report';

/** Assumed duration of one warm Lambda invocation inside the Express child (provisioned concurrency). */
export const ASSUMED_LAMBDA_MS = 100;

/** The example's handlers, by step name. */
export const ORDER_HANDLERS: Record<string, TaskHandler> = {
  'Validate order': validateOrder as TaskHandler,
  'Enrich order': enrichOrder as TaskHandler,
  'Price line item': priceLineItem as TaskHandler,
  'Apply discounts': applyDiscounts as TaskHandler,
  'Charge payment': chargePayment as TaskHandler,
  'Ship order': shipOrder as TaskHandler,
  'Reject order': rejectOrder as TaskHandler,
};

/** An order with `items` line items. */
export function sampleOrder(items: number, id = 'o-1'): Record<string, unknown> {
  const skus = ['sku-book', 'sku-pen', 'sku-lamp'];
  return {
    orderId: id,
    customerId: 'vip-42',
    items: Array.from({ length: items }, (_, i) => ({ sku: skus[i % skus.length], quantity: 1 + (i % 3) })),
  };
}

/** The cost of one order of the hybrid example and of its all-Standard equivalent. */
export interface HybridExampleCost {
  readonly items: number;
  readonly hybrid: RunResult;
  readonly allStandard: RunResult;
  readonly report: CostReport;
}

/**
 * Runs the hybrid example and its all-Standard equivalent through the local runner for orders of
 * the given sizes, and builds the cost report of each.
 */
export async function hybridExampleCosts(itemCounts: number[] = [3, 20]): Promise<HybridExampleCost[]> {
  // The runner calls handlers, not the bundled code: skip esbuild bundling here.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const hybridStack = register(app);
  const standardStack = registerAllStandard(app);
  const hybrid = hybridStack.node.findAll().find((c): c is HybridWorkflow => c instanceof HybridWorkflow)!;
  const inline = standardStack.node.findAll().find((c): c is SequentialWorkflow => c instanceof SequentialWorkflow)!;
  const hybridRunner = await LocalWorkflowRunner.create(hybrid, { handlers: ORDER_HANDLERS });
  const { ['Reject order']: _unused, ...inlineHandlers } = ORDER_HANDLERS;
  const standardRunner = await LocalWorkflowRunner.create(inline, { handlers: inlineHandlers });
  try {
    const out: HybridExampleCost[] = [];
    for (const items of itemCounts) {
      const order = sampleOrder(items);
      const hybridRun = await hybridRunner.run(order);
      const standardRun = await standardRunner.run(order);
      for (const [label, run] of [['hybrid', hybridRun], ['all-Standard', standardRun]] as const) {
        if (run.status !== 'SUCCEEDED') {
          throw new Error(`the ${label} order pipeline did not succeed for ${items} items: ${run.error} ${run.cause}`);
        }
      }
      // Express duration: each Lambda invocation the child made, at the assumed warm latency.
      const expressDurationMs: Record<string, number> = {};
      for (const execution of hybridRun.executions.filter((e) => e.type === 'EXPRESS')) {
        const invocations = execution.statesEntered.filter((s) => s in ORDER_HANDLERS).length;
        expressDurationMs[execution.stateMachine] = invocations * ASSUMED_LAMBDA_MS;
      }
      const report = costReport(hybridRun, {
        label: `hybrid order pipeline, ${items} line items`,
        expressDurationMs,
        allStandard: standardRun,
        allStandardLabel: 'all-Standard equivalent',
      });
      out.push({ items, hybrid: hybridRun, allStandard: standardRun, report });
    }
    return out;
  } finally {
    await hybridRunner.close();
    await standardRunner.close();
  }
}

if (require.main === module) {
  hybridExampleCosts().then((costs) => {
    for (const { report } of costs) {
      console.log(formatCostReport(report));
      console.log('');
    }
    console.log(`Express duration assumption: ${ASSUMED_LAMBDA_MS} ms per Lambda invocation in the Express child.`);
  }).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
