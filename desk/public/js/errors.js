// @ts-check
import { lang } from './i18n.js';

/**
 * The contract's error codes in plain words. A code missing here still gets a
 * sentence (by its HTTP status), never a bare code or a stack trace.
 */
/** @type {Record<string, [string, string]>} */
const BY_CODE = {
  validation_failed: ['输入有误，请检查后再试。', 'Something entered is not valid. Check and try again.'],
  idempotency_key_required: ['请求不完整，请刷新页面后再试。', 'The request was incomplete. Reload the page and try again.'],
  idempotency_key_reused: ['这次操作和上次不一样，已作为新操作处理，请再点一次。', 'This differs from the previous attempt; choose the action again to send it as a new one.'],
  idempotency_key_in_progress: ['上一次操作还在处理中，请稍等几秒后点“重试”。', 'The previous attempt is still being processed. Wait a few seconds, then retry.'],
  unauthorized: ['登录已失效或密钥已被吊销，请重新登录。', 'Your sign-in is no longer valid or the key was revoked. Sign in again.'],
  forbidden: ['此密钥没有办理这项业务的权限。', 'This key may not do that.'],
  not_found: ['没有找到。', 'Not found.'],
  resident_not_found: ['没有找到这位居民。', 'This resident was not found.'],
  card_not_found: ['没有找到这张卡。', 'This card was not found.'],
  bill_not_found: ['没有找到这张账单。', 'This bill was not found.'],
  project_not_found: ['没有找到这个捐款项目。', 'This project was not found.'],
  donation_not_found: ['没有找到这笔捐款。', 'This donation was not found.'],
  resident_exists: ['这个身份证号已经登记过了。', 'This ID number is already registered.'],
  uid_in_use: ['这张卡已经发给别人了，请换一张空白卡。', 'This card already belongs to someone. Use another blank card.'],
  uid_retired: ['这张卡曾被挂失或被盗，不能再发放，请换一张卡。', 'This card was reported lost or stolen and can never be issued. Use another card.'],
  resident_has_card: ['这位居民已经有一张可用的卡。如需换卡，请用“补卡”。', 'This resident already holds a usable card. To swap it, replace it instead.'],
  card_not_active: ['这张卡现在不能用（已挂失、已补卡或已销卡）。', 'This card cannot be used now (reported lost, replaced or closed).'],
  card_not_locked: ['这张卡没有挂失，不需要解除。', 'This card is not reported lost, so there is nothing to unlock.'],
  insufficient_funds: ['现金余额不足。请先充值。', 'Not enough cash on the card. Top up first.'],
  balance_limit_exceeded: ['充值后现金余额会超过上限，请减少充值金额。', 'The cash balance would go over its limit. Top up less.'],
  bill_already_paid: ['这张账单已经缴过了，没有再次扣款。', 'This bill is already paid; nothing was charged again.'],
  card_resident_mismatch: ['这张账单不属于这张卡的持卡人。', 'This bill does not belong to the holder of this card.'],
  payload_too_large: ['内容太多，无法提交。', 'Too much to send at once.'],
  too_many_requests: ['操作太频繁，请稍后再试。', 'Too many requests. Try again in a moment.'],
  internal_error: ['服务出错了。请点“重试”，不会重复扣款；如仍失败请联系管理员。', 'The service failed. Retry (nothing is charged twice); if it keeps failing, call the administrator.'],
  service_unavailable: ['服务暂时不可用，请稍后点“重试”。', 'The service is unavailable for now. Retry in a moment.'],
  network: ['连不上服务，请检查网络后点“重试”，不会重复扣款。', 'Cannot reach the service. Check the network, then retry: nothing is charged twice.'],
};

/** @type {Record<number, [string, string]>} */
const BY_STATUS = {
  400: ['请求有误，请检查后再试。', 'The request was not accepted. Check and try again.'],
  401: BY_CODE.unauthorized,
  403: BY_CODE.forbidden,
  404: BY_CODE.not_found,
  409: ['现在不能这样办理，请刷新后再看。', 'This cannot be done in the current state. Refresh and look again.'],
  422: ['请求无法处理。', 'The request could not be processed.'],
};

/**
 * @param {{ code?: string, status?: number }} err
 * @returns {string}
 */
export function errorText(err) {
  const pair = (err.code && BY_CODE[err.code]) || (err.status && BY_STATUS[err.status]) || BY_CODE.internal_error;
  return lang() === 'zh' ? pair[0] : pair[1];
}
