import { createBookingClient, createGatewayClient, type BookingClient, type GatewayClient } from '@concert/contract';
import type { SiteConfig } from '../../shared/site-config.js';

export type { SiteConfig };

/** The site's configuration and the API clients built from it, once per page. */
export type Site = { config: SiteConfig; gateway: GatewayClient; booking: BookingClient };

/** Reads `/config.json` (the web server writes it from its environment) and builds the clients. */
export async function loadSite(): Promise<Site> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  const config = (await response.json()) as SiteConfig;
  return { config, gateway: createGatewayClient(config.gatewayUrl), booking: createBookingClient(config.bookingUrl) };
}
