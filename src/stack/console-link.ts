/** How long the token in `up`'s console link lives: a link on a terminal should not stay valid for a day. */
export const CONSOLE_LINK_TTL_SECONDS = 3600;

/** The web console's address on the stack's entry point (NGINX when it runs, else the gateway). */
export function consoleUrl(urls: { graphql: string; nginx: string | null }): string {
  return new URL('/console/', urls.nginx ?? urls.graphql).toString();
}

/**
 * The console address with a token in its fragment: browsers never send a fragment to the server
 * (so it lands in no access log), and the console takes it out of the address bar once read.
 */
export function consoleLink(console: string, token: string): string {
  return `${console}#token=${token}`;
}
