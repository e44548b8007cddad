import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import {
  findAttachmentInfoOfMessages,
  findMeetingsByIds,
  findMeetingsOfInteractions,
  findMessagePages,
  findMessagesByIds,
  findMessagesOfInteractions,
  findMessagesOfMeetings,
  type AttachmentInfo,
  type MessagePage,
} from '../db/delivery.repo.ts';
import type { MeetingRow, OutboundMessageRow } from '../db/delivery.schema.ts';

export function deliveryLoaders(db: Database) {
  return {
    messageById: new DataLoader<string, OutboundMessageRow | null>(async (ids) => alignOne(ids, await findMessagesByIds(db, ids), (m) => m.id)),
    messagesOfInteraction: new DataLoader<string, OutboundMessageRow[]>(async (ids) =>
      alignMany(ids, await findMessagesOfInteractions(db, ids), (m) => m.interactionId),
    ),
    messagesOfMeeting: new DataLoader<string, OutboundMessageRow[]>(async (ids) => alignMany(ids, await findMessagesOfMeetings(db, ids), (m) => m.meetingId!)),
    attachmentsOfMessage: new DataLoader<string, AttachmentInfo[]>(async (ids) =>
      alignMany(ids, await findAttachmentInfoOfMessages(db, ids), (a) => a.messageId),
    ),
    messagesOfCustomer: loaderPerArguments<MessagePage, OutboundMessageRow[]>(async (customerIds, page) =>
      alignMany(customerIds, await findMessagePages(db, customerIds, page), (m) => m.customerId),
    ),
    meetingById: new DataLoader<string, MeetingRow | null>(async (ids) => alignOne(ids, await findMeetingsByIds(db, ids), (m) => m.id)),
    meetingOfInteraction: new DataLoader<string, MeetingRow | null>(async (ids) =>
      alignOne(ids, await findMeetingsOfInteractions(db, ids), (m) => m.interactionId),
    ),
  };
}
