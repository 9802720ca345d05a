// JSON logs through winston, one child logger per component. The level can change at run time.
import winston from 'winston';
import { redactDeep } from '@gantry/ir';
import { LOG_LEVEL_NAMES, isLogLevel } from './log-levels.js';

export { LOG_LEVEL_NAMES, isLogLevel };

export type Logger = winston.Logger;

// An unknown GANTRY_LOG_LEVEL would make winston log nothing at all: info then, and said below.
const envLevel = process.env.GANTRY_LOG_LEVEL;
const envLevelValid = envLevel === undefined || LOG_LEVEL_NAMES.includes(envLevel);

const root = winston.createLogger({
  level: envLevelValid && envLevel !== undefined ? envLevel : 'info',
  format: winston.format.combine(redactKeys(), winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] })],
});

/**
 * Redaction by content: any PEM private-key block in a message or a field (an error that echoes a
 * Secret, an Envoy log line, a NACK detail) is replaced before the line is written. In place:
 * winston keeps its level and message under symbols a copy would drop.
 */
function redactKeys(): winston.Logform.Format {
  return winston.format((info) => {
    const fields = info as Record<string, unknown>;
    for (const key of Object.keys(fields)) fields[key] = redactDeep(fields[key]);
    return info;
  })();
}

if (!envLevelValid) root.warn(`GANTRY_LOG_LEVEL "${envLevel}" is not a log level (${LOG_LEVEL_NAMES.join(', ')}); using info`, { component: 'log' });

export function logger(component: string): Logger {
  return root.child({ component });
}

/** Sets the level; an unknown name throws (winston would silently log nothing). */
export function setLogLevel(level: string): void {
  if (!isLogLevel(level)) throw new Error(`unknown log level "${level}": expected one of ${LOG_LEVEL_NAMES.join(', ')}`);
  root.level = level;
}

export function getLogLevel(): string {
  return root.level;
}
