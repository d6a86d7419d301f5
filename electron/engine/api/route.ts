import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine-api.js';

/** What an admin route's handler gets: the engine, the exchange, the path's captures (decoded) and the query. */
export interface RouteContext {
  engine: Engine;
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
  keepaliveMs: number;
}

/** One admin API route; the first whose method and path match takes the request. */
export interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handle(ctx: RouteContext): Promise<void> | void;
}

/** The path's capture `index` (decoded). A route whose pattern has no such group is a bug in the route table. */
export function pathParam({ params }: Pick<RouteContext, 'params'>, index = 0): string {
  const value = params[index];
  if (value === undefined) throw new Error(`the route's path pattern has no capture ${index}`);
  return value;
}
