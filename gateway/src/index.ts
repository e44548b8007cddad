export { startGateway, type RunningGateway, type StartGatewayOptions } from './server.ts';
export type { GatewayContext } from './context.ts';
