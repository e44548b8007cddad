import {
  BadUserInputError,
  ConflictError,
  DomainRuleError,
  ForbiddenError,
  NotFoundError,
  recordEvent,
  refuseErasedCustomer,
  requireLength,
  requireUuid,
  type Caller,
  type Database,
  type EventContext,
  type Executor,
  type Transaction,
} from '@cmp/platform';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import {
  deleteOptOut,
  findTemplate,
  insertAttachments,
  insertOptOut,
  insertOutboundMessage,
  isOptedOut,
  lockMessage,
  lockMessageByProviderId,
  updateMessage,
  upsertTemplate,
} from '../db/delivery.repo.ts';
import type { EmailTemplateRow, MessagePurpose, NewOutboundMessage, OutboundMessageRow } from '../db/delivery.schema.ts';
import { erasedCustomers, outbox, type InteractionRow } from '../db/schema.ts';
import { segmentSms } from '../delivery/sms-segments.ts';
import { placeholdersIn, renderTemplate, VARIABLE_NAME } from '../delivery/templates.ts';
import { logInteraction } from './interactions.ts';
import { requireConsentForPurpose } from './marketing-consent.ts';

export const MAX_ATTACHMENTS = 5;
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const ALLOWED_ATTACHMENT_TYPES: ReadonlySet<string> = new Set([
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'text/plain',
  'text/csv',
  'text/calendar',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
]);
export const MAX_SMS_CHARACTERS = 1600;
const MAX_BODY = 200_000;

// RFC 5322 dot-atom local part and a domain of LDH labels with a top-level label: what real mailboxes use.
const EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function requireEmailAddress(field: string, value: string): string {
  const address = value.trim();
  if (address.length === 0) throw new BadUserInputError(field, 'is required');
  if (address.length > 255) throw new BadUserInputError(field, 'must be at most 255 characters');
  if (!EMAIL.test(address) || address.split('@')[0]!.length > 64) throw new BadUserInputError(field, 'is not a valid e-mail address (RFC 5322)');
  return address;
}

/** An E.164 number from what a person typed (`+44 20 7946 0958`); national formats without a country are refused. */
export function requirePhoneNumber(field: string, value: string): string {
  const trimmed = value.trim();
  if (!trimmed.startsWith('+')) throw new BadUserInputError(field, 'must be an E.164 number starting with + and the country code');
  const parsed = parsePhoneNumberFromString(trimmed);
  if (!parsed || !parsed.isValid()) throw new BadUserInputError(field, 'is not a valid E.164 phone number');
  return parsed.number;
}

function optionalText(field: string, value: string | null | undefined, max: number): string | null {
  if (value == null || value.trim() === '') return null;
  if (value.length > max) throw new BadUserInputError(field, `must be at most ${max} characters`);
  return value;
}

function requireOneLine(field: string, value: string, max: number): string {
  const line = requireLength(field, value, { min: 1, max });
  if (/[\r\n]/.test(line)) throw new BadUserInputError(field, 'must be one line');
  return line;
}

export interface AttachmentInput {
  fileName: string;
  contentType: string;
  contentBase64: string;
}

// Checked without a repeated group: a pattern of groups overflows the regex stack on megabytes of input.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** At most five files and 10 MB in all, of the listed types; the first file breaking a rule is named. */
export function validateAttachments(attachments: readonly AttachmentInput[] | null | undefined) {
  const list = attachments ?? [];
  if (list.length > MAX_ATTACHMENTS) throw new BadUserInputError(`attachments[${MAX_ATTACHMENTS}]`, `at most ${MAX_ATTACHMENTS} attachments per e-mail`);
  let total = 0;
  return list.map((a, i) => {
    const field = `attachments[${i}]`;
    const fileName = requireLength(`${field}.fileName`, a.fileName, { min: 1, max: 255 });
    if (/[/\\\u0000-\u001f\u007f]/.test(fileName)) throw new BadUserInputError(`${field}.fileName`, 'must be a plain file name, without path or control characters');
    const contentType = a.contentType.trim().toLowerCase();
    if (!ALLOWED_ATTACHMENT_TYPES.has(contentType)) {
      throw new BadUserInputError(`${field}.contentType`, `${contentType || 'an empty type'} is not allowed; allowed: ${[...ALLOWED_ATTACHMENT_TYPES].join(', ')}`);
    }
    const encoded = a.contentBase64.replace(/\s+/g, '');
    if (encoded.length === 0) throw new BadUserInputError(`${field}.contentBase64`, 'is empty');
    if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) throw new BadUserInputError(`${field}.contentBase64`, 'is not valid base64');
    const content = Buffer.from(encoded, 'base64');
    total += content.length;
    if (total > MAX_ATTACHMENT_BYTES) throw new BadUserInputError(field, `attachments may total at most ${MAX_ATTACHMENT_BYTES} bytes (10 MB)`, { limitBytes: MAX_ATTACHMENT_BYTES });
    return { position: i, fileName, contentType, sizeBytes: content.length, content };
  });
}

/** A readable excerpt of an HTML body for the interaction's summary. */
function textOfHtml(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

function summaryOf(subject: string, text: string | null, html: string | null): string {
  const body = (text ?? (html ? textOfHtml(html) : '')).replace(/\s+/g, ' ').trim();
  const summary = body ? `${subject} — ${body}` : subject;
  return summary.length > 5000 ? `${summary.slice(0, 4999)}…` : summary;
}

export interface TemplateUse {
  code: string;
  variables?: readonly { name: string; value: string }[] | null;
}

/** Subject and bodies from a template and the send's values; a missing required value is named. */
export function personalise(template: EmailTemplateRow, variables: readonly { name: string; value: string }[]) {
  const values: Record<string, string> = {};
  variables.forEach((v, i) => {
    if (!VARIABLE_NAME.test(v.name)) throw new BadUserInputError(`template.variables[${i}].name`, 'must be letters, digits and underscores, starting with a letter');
    if (v.name in values) throw new BadUserInputError(`template.variables[${i}].name`, `${v.name} is given twice`);
    if (v.value.length > 10_000) throw new BadUserInputError(`template.variables[${i}].value`, 'must be at most 10000 characters');
    values[v.name] = v.value;
  });
  for (const name of template.requiredVariables) {
    if (!values[name]?.trim()) throw new BadUserInputError(`template.variables.${name}`, `the template ${template.code} requires the variable ${name}`, { variable: name });
  }
  const subject = renderTemplate(template.subject, values, 'text').replace(/[\r\n]+/g, ' ').trim();
  return {
    subject,
    text: template.textBody == null ? null : renderTemplate(template.textBody, values, 'text'),
    html: template.htmlBody == null ? null : renderTemplate(template.htmlBody, values, 'html'),
    variables: values,
  };
}

export interface SendEmailInput {
  customerId: string;
  to: string;
  toName?: string | null;
  subject?: string | null;
  text?: string | null;
  html?: string | null;
  template?: TemplateUse | null;
  attachments?: readonly AttachmentInput[] | null;
  /** SERVICE (default) or MARKETING, which needs the customer's MARKETING_EMAIL consent. */
  purpose?: MessagePurpose | null;
}

/** What an e-mail needs queued, on top of the rows every message has. */
export interface QueuedEmail {
  customerId: string;
  interactionId: string;
  to: string;
  toName: string | null;
  subject: string;
  text: string | null;
  html: string | null;
  sentBy: string;
  extra?: Partial<NewOutboundMessage>;
}

/** Stores an e-mail for the dispatcher, in the caller's transaction. */
export function queueEmail(tx: Executor, email: QueuedEmail): Promise<OutboundMessageRow> {
  return insertOutboundMessage(tx, {
    channel: 'EMAIL',
    customerId: email.customerId,
    interactionId: email.interactionId,
    recipient: email.to,
    recipientName: email.toName,
    subject: email.subject,
    textBody: email.text,
    htmlBody: email.html,
    sentBy: email.sentBy,
    ...email.extra,
  });
}

/** Logs the outbound interaction (timeline entry and InteractionLogged included) inside the caller's transaction. */
export function logOutbound(tx: Transaction, caller: Caller, events: EventContext, entry: { customerId: string; channel: 'EMAIL' | 'SMS' | 'MEETING'; subject: string | null; summary: string }, now: Date): Promise<InteractionRow> {
  return logInteraction(tx, caller, events, { ...entry, direction: 'OUTBOUND', occurredAt: now }, now);
}

/**
 * Validates an e-mail, stores it (with its attachments and the EMAIL interaction) in one transaction and answers
 * QUEUED; the dispatcher sends it.
 */
export async function sendEmail(db: Database, caller: Caller, events: EventContext, input: SendEmailInput, now = new Date()): Promise<OutboundMessageRow> {
  const customerId = requireUuid('customerId', input.customerId);
  const to = requireEmailAddress('to', input.to);
  const toName = input.toName == null || input.toName.trim() === '' ? null : requireOneLine('toName', input.toName, 200);
  const attachments = validateAttachments(input.attachments);
  let content: { subject: string; text: string | null; html: string | null; templateCode: string | null; variables: Record<string, string> | null };
  if (input.template) {
    for (const field of ['subject', 'text', 'html'] as const) {
      if (input[field] != null && input[field]!.trim() !== '') throw new BadUserInputError(field, 'must be left out when a template is named (the template gives it)');
    }
    const code = requireLength('template.code', input.template.code, { min: 1, max: 64 });
    const template = await findTemplate(db, code);
    if (!template) throw new BadUserInputError('template.code', `no e-mail template has the code ${code}`);
    const rendered = personalise(template, input.template.variables ?? []);
    if (!rendered.subject) throw new BadUserInputError('template.variables', 'the subject renders empty');
    if (rendered.subject.length > 500) throw new BadUserInputError('template.variables', 'the subject renders longer than 500 characters');
    content = { ...rendered, templateCode: template.code };
  } else {
    if (input.subject == null || input.subject.trim() === '') throw new BadUserInputError('subject', 'is required unless a template is named');
    const subject = requireOneLine('subject', input.subject, 500);
    const text = optionalText('text', input.text, MAX_BODY);
    const html = optionalText('html', input.html, MAX_BODY);
    if (!text && !html) throw new BadUserInputError('text', 'an e-mail needs a text or an html body (or a template)');
    content = { subject, text, html, templateCode: null, variables: null };
  }
  const purpose = input.purpose ?? 'SERVICE';
  return db.transaction(async (tx) => {
    await refuseErasedCustomer(tx, erasedCustomers, customerId);
    await requireConsentForPurpose(tx, customerId, 'EMAIL', purpose);
    const interaction = await logOutbound(tx, caller, events, { customerId, channel: 'EMAIL', subject: content.subject, summary: summaryOf(content.subject, content.text, content.html) }, now);
    const message = await queueEmail(tx, {
      customerId,
      interactionId: interaction.id,
      to,
      toName,
      subject: content.subject,
      text: content.text,
      html: content.html,
      sentBy: caller.subject,
      extra: { templateCode: content.templateCode, templateVariables: content.variables, purpose },
    });
    await insertAttachments(
      tx,
      attachments.map((a) => ({ ...a, messageId: message.id })),
    );
    return message;
  });
}

export interface SendSmsInput {
  customerId: string;
  to: string;
  body: string;
  /** SERVICE (default) or MARKETING, which needs the customer's MARKETING_SMS consent. */
  purpose?: MessagePurpose | null;
}

function optedOutError(number: string) {
  return new DomainRuleError('COMM-001', `Invalid recipient: ${number} opted out of SMS (STOP) and must text START to receive more`, { field: 'to' });
}

/** Validates an SMS, counts its segments, refuses an opted-out number, and stores it with its SMS interaction. */
export async function sendSms(db: Database, caller: Caller, events: EventContext, input: SendSmsInput, now = new Date()): Promise<OutboundMessageRow> {
  const customerId = requireUuid('customerId', input.customerId);
  const to = requirePhoneNumber('to', input.to);
  if (input.body.trim() === '') throw new BadUserInputError('body', 'is required');
  const characters = [...input.body].length;
  if (characters > MAX_SMS_CHARACTERS) throw new BadUserInputError('body', `must be at most ${MAX_SMS_CHARACTERS} characters (has ${characters})`);
  const { segments, encoding } = segmentSms(input.body);
  const purpose = input.purpose ?? 'SERVICE';
  return db.transaction(async (tx) => {
    await refuseErasedCustomer(tx, erasedCustomers, customerId);
    if (await isOptedOut(tx, to)) throw optedOutError(to);
    await requireConsentForPurpose(tx, customerId, 'SMS', purpose);
    const interaction = await logOutbound(tx, caller, events, { customerId, channel: 'SMS', subject: null, summary: input.body.length > 5000 ? input.body.slice(0, 5000) : input.body }, now);
    return insertOutboundMessage(tx, {
      channel: 'SMS',
      customerId,
      interactionId: interaction.id,
      recipient: to,
      textBody: input.body,
      segments,
      encoding,
      purpose,
      sentBy: caller.subject,
    });
  });
}

const TEMPLATE_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Who may define templates: Admin and MarketingManager (DOMAIN.md gives marketing the wording of customer mail). */
export function requireTemplateAuthor(caller: Caller): void {
  if (!caller.roles.some((r) => r === 'Admin' || r === 'MarketingManager')) throw new ForbiddenError('Only Admin and MarketingManager may define e-mail templates');
}

export interface DefineEmailTemplateInput {
  code: string;
  subject: string;
  text?: string | null;
  html?: string | null;
  requiredVariables?: readonly string[] | null;
}

export async function defineEmailTemplate(db: Database, caller: Caller, input: DefineEmailTemplateInput): Promise<EmailTemplateRow> {
  requireTemplateAuthor(caller);
  const code = input.code.trim();
  if (!TEMPLATE_CODE.test(code)) throw new BadUserInputError('code', 'must be 1 to 64 letters, digits, dots, underscores or hyphens, starting with a letter or digit');
  const subject = requireOneLine('subject', input.subject, 500);
  const text = optionalText('text', input.text, MAX_BODY);
  const html = optionalText('html', input.html, MAX_BODY);
  if (!text && !html) throw new BadUserInputError('text', 'a template needs a text or an html body');
  const present = new Set(placeholdersIn(subject, text, html));
  const required = [...new Set(input.requiredVariables ?? [])];
  required.forEach((name, i) => {
    if (!VARIABLE_NAME.test(name)) throw new BadUserInputError(`requiredVariables[${i}]`, 'must be letters, digits and underscores, starting with a letter');
    if (!present.has(name)) throw new BadUserInputError(`requiredVariables[${i}]`, `{{${name}}} appears in neither the subject nor a body`);
  });
  return upsertTemplate(db, { code, subject, textBody: text, htmlBody: html, requiredVariables: required, definedBy: caller.subject });
}

/** The mail system bounced a message it had accepted: BOUNCED with the reason, and MessageBounced. */
export async function recordEmailBounce(db: Database, events: EventContext, messageId: string, reason: string, now = new Date()): Promise<OutboundMessageRow> {
  const id = requireUuid('messageId', messageId);
  const why = requireLength('reason', reason, { min: 1, max: 1000 });
  return db.transaction(async (tx) => {
    const message = await lockMessage(tx, id);
    if (!message || message.channel !== 'EMAIL') throw new NotFoundError('Message', id);
    if (message.status === 'BOUNCED') return message;
    if (message.status !== 'SENT' && message.status !== 'DELIVERED') {
      throw new ConflictError(`Only a sent e-mail can bounce; this one is ${message.status}`, { status: message.status });
    }
    const bounced = await updateMessage(tx, id, { status: 'BOUNCED', lastError: why, bouncedAt: now }, now);
    await recordEvent(tx, outbox, events, {
      type: 'cmp.interaction.MessageBounced',
      aggregateType: 'Message',
      aggregateId: id,
      customerId: bounced.customerId,
      data: { messageId: id, interactionId: bounced.interactionId, customerId: bounced.customerId, channel: 'EMAIL', reason: why },
    });
    return bounced;
  });
}

export type SmsStatusReport = 'delivered' | 'undelivered' | 'failed';

/**
 * The provider's report on a sent SMS: delivered (DELIVERED, MessageDelivered) or not (BOUNCED, MessageBounced).
 * Reports are idempotent: the same report again changes nothing. Null when the provider id is unknown.
 */
export async function applySmsStatus(
  db: Database,
  events: EventContext,
  report: { providerMessageId: string; status: SmsStatusReport; error?: string | null },
  now = new Date(),
): Promise<OutboundMessageRow | null> {
  return db.transaction(async (tx) => {
    const message = await lockMessageByProviderId(tx, 'SMS', report.providerMessageId);
    if (!message) return null;
    const target = report.status === 'delivered' ? 'DELIVERED' : 'BOUNCED';
    if (message.status === target || message.status === 'FAILED') return message;
    const changed = await updateMessage(
      tx,
      message.id,
      target === 'DELIVERED' ? { status: target, deliveredAt: now } : { status: target, bouncedAt: now, lastError: report.error ?? `the provider reported ${report.status}` },
      now,
    );
    await recordEvent(tx, outbox, events, {
      type: target === 'DELIVERED' ? 'cmp.interaction.MessageDelivered' : 'cmp.interaction.MessageBounced',
      aggregateType: 'Message',
      aggregateId: message.id,
      customerId: message.customerId,
      data: { messageId: message.id, interactionId: message.interactionId, customerId: message.customerId, channel: 'SMS', ...(target === 'BOUNCED' ? { reason: changed.lastError } : {}) },
    });
    return changed;
  });
}

const STOP_WORDS = new Set(['STOP', 'STOP ALL', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'BAJA']);
const START_WORDS = new Set(['START', 'UNSTOP', 'ALTA']);

export type InboundSmsAction = 'OPTED_OUT' | 'OPTED_IN' | 'IGNORED';

/** A text from a customer: STOP (any case; STOP ALL, UNSUBSCRIBE, BAJA, ...) opts the number out, START or ALTA back in. */
export async function receiveSms(db: Database, input: { from: string; body: string }): Promise<InboundSmsAction> {
  const from = requirePhoneNumber('from', input.from);
  const keyword = input.body
    .trim()
    .replace(/[.!¡]+$/u, '')
    .replace(/\s+/g, ' ')
    .toUpperCase();
  if (STOP_WORDS.has(keyword)) {
    await insertOptOut(db, from, `SMS:${keyword}`);
    return 'OPTED_OUT';
  }
  if (START_WORDS.has(keyword)) {
    await deleteOptOut(db, from);
    return 'OPTED_IN';
  }
  return 'IGNORED';
}
