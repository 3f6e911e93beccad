import {
  adaptiveCard,
  paragraph,
  run,
  toTeamsMessage,
  type TeamsMessage,
} from '../../src/lib/alerts/adaptiveCard.js';

/** A minimal alert with one line of text, for outbox and sender tests. */
export const teamsMessage = (text: string): TeamsMessage =>
  toTeamsMessage(adaptiveCard(text, [paragraph([run(text)])], []));
