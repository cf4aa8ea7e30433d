/**
 * Lambda tasks: `Resource: <function/alias ARN>` (payload in, payload out) and
 * `arn:aws:states:::lambda:invoke` (`{ FunctionName, Payload }` in, `{ StatusCode, Payload, ExecutedVersion }` out).
 */
import { fromHandlerError, StatesError } from '../errors';
import type { Json } from '../interpreter';
import type { TaskHandler, TaskHandlerContext } from '../types';

/** JSON round trip, as the payload crosses the Lambda API (`undefined` becomes `null`). */
export function asJson(value: unknown): Json {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** Calls a user handler as Lambda would run the function; a thrown error becomes the Lambda function error. */
export async function invokeLambdaHandler(handler: TaskHandler, payload: Json, context: TaskHandlerContext): Promise<Json> {
  let result: unknown;
  try {
    result = await handler(asJson(payload), context);
  } catch (e) {
    throw fromHandlerError(e);
  }
  return asJson(result);
}

/** Calls a user handler standing in for a non-Lambda service call; a thrown error becomes `name` / `message`. */
export async function invokeServiceHandler(handler: TaskHandler, parameters: Json, context: TaskHandlerContext): Promise<Json> {
  let result: unknown;
  try {
    result = await handler(asJson(parameters), context);
  } catch (e) {
    if (e instanceof StatesError) throw e;
    if (e instanceof Error) throw new StatesError(e.name || 'Error', e.message);
    throw new StatesError('Error', String(e));
  }
  return asJson(result);
}

/** The `lambda:invoke` integration result around a function's payload. */
export function invokeIntegrationResult(functionName: unknown, payload: Json): Json {
  const qualifier = typeof functionName === 'string' ? /:function:[^:]+:([^:]+)$/.exec(functionName)?.[1] : undefined;
  return {
    ExecutedVersion: qualifier && qualifier !== '$LATEST' ? '1' : '$LATEST',
    Payload: payload,
    StatusCode: 200,
  };
}
