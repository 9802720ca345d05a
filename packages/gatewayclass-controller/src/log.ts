// JSON logs through winston, one child logger per component. The level can change at run time.
import winston from 'winston';

export type Logger = winston.Logger;

const root = winston.createLogger({
  level: process.env.GANTRY_LOG_LEVEL ?? 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'verbose', 'silly'] })],
});

export function logger(component: string): Logger {
  return root.child({ component });
}

export function setLogLevel(level: string): void {
  root.level = level;
}

export function getLogLevel(): string {
  return root.level;
}
