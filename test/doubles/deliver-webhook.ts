export interface Delivery {
  url: string;
  event: string;
  headers: Record<string, string>;
  body: string;
  /** The answer status, or the network error. */
  status: number | undefined;
  error: string | undefined;
}

/** POSTs one webhook delivery and records how it went; a failing receiver never fails the double. */
export async function deliverWebhook(
  url: string,
  event: string,
  headers: Record<string, string>,
  body: string,
): Promise<Delivery> {
  try {
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    return { url, event, headers, body, status: response.status, error: undefined };
  } catch (error) {
    return { url, event, headers, body, status: undefined, error: String(error) };
  }
}
