import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXAMPLE_ENV } from '../app-builder';
import {
  HybridCatch,
  HybridStep,
  HybridWorkflow,
  IWorkflowStep,
  SequentialWorkflow,
  Step,
  StepBindOptions,
  StepBinding,
  WorkflowFunction,
} from '../../src';

/**
 * A step that runs another step once per element of an array of the state (an inline Map), e.g.
 * pricing each line item of an order. It shows how a custom step plugs into the step model: it
 * renders its own state and reuses the inner step's rendering (task, retry, timeout, IAM).
 */
class ForEachItemStep implements IWorkflowStep {
  public readonly waitsForCallback = false;

  public constructor(
    public readonly name: string,
    private readonly itemsPath: string,
    private readonly perItem: IWorkflowStep,
    public readonly timeout: Duration,
    public readonly idempotent: boolean,
  ) {}

  public bind(scope: Construct, options: StepBindOptions): StepBinding {
    const map = new sfn.Map(scope, options.stateName ?? this.name, {
      itemsPath: this.itemsPath,
      itemSelector: { 'item.$': '$$.Map.Item.Value' },
      maxConcurrency: 10,
      resultPath: options.resultPath,
    });
    const inner = this.perItem.bind(map, { workflowType: options.workflowType });
    map.itemProcessor(inner.state);
    return { state: map, functions: inner.functions };
  }
}

function fn(scope: Construct, id: string, file: string, provisionedConcurrency?: number): WorkflowFunction {
  return new WorkflowFunction(scope, id, {
    entry: path.join(__dirname, '..', 'functions', 'hybrid', file),
    timeout: Duration.seconds(10),
    memorySize: 256,
    provisionedConcurrency,
  });
}

/** The order pipeline's steps and error handler, with their functions created in `scope`. */
export function orderPipeline(scope: Construct): { steps: HybridStep[]; catches: HybridCatch[] } {
  // Chatty, short and idempotent: validate, enrich, price each line item, apply discounts.
  const express = { idempotent: true, timeout: Duration.seconds(15) };
  const validate = Step.lambda('Validate order', fn(scope, 'ValidateOrder', 'validate-order.ts'), { ...express, nonRetryableErrors: ['InvalidOrder'] });
  const enrich = Step.lambda('Enrich order', fn(scope, 'EnrichOrder', 'enrich-order.ts'), express);
  const priceItem = Step.lambda('Price line item', fn(scope, 'PriceLineItem', 'price-line-item.ts'), express);
  const price = new ForEachItemStep('Price line items', '$.items', priceItem, Duration.seconds(60), true);
  const discounts = Step.lambda('Apply discounts', fn(scope, 'ApplyDiscounts', 'apply-discounts.ts'), express);
  // Side effects that must happen exactly once: Standard.
  const charge = Step.lambda('Charge payment', fn(scope, 'ChargePayment', 'charge-payment.ts'), { nonRetryableErrors: ['PaymentDeclined'] });
  const ship = Step.lambda('Ship order', fn(scope, 'ShipOrder', 'ship-order.ts'));
  const reject = Step.lambda('Reject order', fn(scope, 'RejectOrder', 'reject-order.ts', 0));
  return {
    steps: [
      { step: validate, express: true },
      { step: enrich, express: true },
      { step: price, express: true },
      { step: discounts, express: true },
      { step: charge },
      { step: ship },
    ],
    catches: [{ errors: ['InvalidOrder', 'PaymentDeclined'], handler: reject }],
  };
}

/**
 * An order pipeline as a HybridWorkflow: validate, enrich, price each line item and apply
 * discounts run in one Express child (chatty, short, idempotent: billed per request and duration),
 * then charge payment and ship run in the Standard parent (exactly once, auditable). An invalid
 * order or a declined payment is handled by 'Reject order', whichever machine raised it.
 */
export function register(app: App): Stack {
  const stack = new Stack(app, 'HybridExample', { env: EXAMPLE_ENV });
  new HybridWorkflow(stack, 'OrderPipeline', orderPipeline(stack));
  return stack;
}

/**
 * The same steps inline in one Standard machine: the all-Standard equivalent the cost report
 * compares with. Not part of the examples app (it is built by examples/cost-report.ts and the tests).
 */
export function registerAllStandard(app: App): Stack {
  const stack = new Stack(app, 'HybridExampleAllStandard', { env: EXAMPLE_ENV });
  new SequentialWorkflow(stack, 'OrderPipelineAllStandard', { steps: orderPipeline(stack).steps.map((s) => s.step) });
  return stack;
}
