export { NotifyEvent, notifyEventId, renderEventText } from './event.js';
export { deliverToSink, readSecret, redactUrl, type Sink } from './deliver.js';
export {
  NOTIFY_QUEUE,
  NotifyJob,
  createNotifier,
  createNotifyWorker,
  notifyJobId,
  type Notifier,
} from './notify-queue.js';
export { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, renderSinkRequest } from './render-request.js';
export { dingtalkSign, feishuSign, webhookSignature } from './sign.js';
