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

/**
 * Calls a user handler as Lambda would run the function; a thrown error becomes the Lambda function error.
 * `payload` must be the handler's own copy; the result is returned as is (the caller serializes it once,
 * as it crosses the Lambda API, and checks its size).
 */
export function invokeLambdaHandler(handler: TaskHandler, payload: Json, context: TaskHandlerContext): Promise<unknown> {
  let result: unknown;
  try {
    result = handler(payload, context);
  } catch (e) {
    return Promise.reject(fromHandlerError(e));
  }
  return Promise.resolve(result).then(undefined, rethrowHandlerError);
}

function rethrowHandlerError(e: unknown): never {
  throw fromHandlerError(e);
}

/** Calls a user handler standing in for a non-Lambda service call; a thrown error becomes `name` / `message`. Same contract as {@link invokeLambdaHandler}. */
export async function invokeServiceHandler(handler: TaskHandler, parameters: Json, context: TaskHandlerContext): Promise<unknown> {
  try {
    return await handler(parameters, context);
  } catch (e) {
    if (e instanceof StatesError) throw e;
    if (e instanceof Error) throw new StatesError(e.name || 'Error', e.message);
    throw new StatesError('Error', String(e));
  }
}

/** The `lambda:invoke` integration result around a function's payload. */
export function invokeIntegrationResult(functionName: unknown, payload: unknown): Json {
  const qualifier = typeof functionName === 'string' ? /:function:[^:]+:([^:]+)$/.exec(functionName)?.[1] : undefined;
  return {
    ExecutedVersion: qualifier && qualifier !== '$LATEST' ? '1' : '$LATEST',
    Payload: payload as Json,
    StatusCode: 200,
  };
}
