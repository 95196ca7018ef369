import { createHmac } from 'node:crypto';

/**
 * The generic webhook's signature: hex HMAC-SHA256 with the sink's secret over `<timestamp>.<body>`, where the
 * timestamp is the `X-Promobot-Timestamp` header (Unix seconds) and the body is the exact bytes sent. Sent as
 * `X-Promobot-Signature: sha256=<hex>`. A receiver recomputes it, compares in constant time, and refuses a
 * timestamp far from its clock (replays).
 */
export function webhookSignature(secret: string, timestampSeconds: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/**
 * Feishu custom bot "signature verification": the string `<timestamp>\n<secret>` is the HMAC-SHA256 *key*, the
 * message is empty, and the result is base64; `timestamp` (Unix seconds, within an hour of Feishu's clock) and
 * `sign` go in the JSON body. https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot ("签名校验": "将
 * timestamp + "\n" + 密钥当做签名字符串,使用 HmacSHA256 算法计算签名,再进行 Base64 编码"); the Go and Node
 * examples found with `search` (electricbubble/feishu-bot-api api.go `genSign`) use the string as the key.
 */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/**
 * DingTalk custom robot "加签": HMAC-SHA256 with the secret as key over `<timestamp>\n<secret>`, base64, then
 * URL-encoded; `timestamp` (Unix milliseconds, within an hour) and `sign` are added to the webhook URL's query.
 * https://open.dingtalk.com/document/group/custom-robot-access (its Python example: `hmac.new(secret_enc,
 * string_to_sign_enc, digestmod=hashlib.sha256)` then `urllib.parse.quote_plus(base64.b64encode(...))`).
 * The value returned here is not yet URL-encoded: `URLSearchParams` does that.
 */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}
