// Where the engine reports what it does: a logger interface, a silent one and one for the console.

/** Where the engine reports what it does. Never given a password or message content. */
export interface EngineLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export const silentLogger: EngineLogger = { info() {}, warn() {}, error() {} };

/** One timestamped line per event on stdout/stderr, for headless mode and the desktop app. */
export const consoleLogger: EngineLogger = {
  info: (message, data) => console.log(logLine('info', message, data)),
  warn: (message, data) => console.warn(logLine('warn', message, data)),
  error: (message, data) => console.error(logLine('error', message, data)),
};

function logLine(level: string, message: string, data?: Record<string, unknown>): string {
  return `${new Date().toISOString()} ${level} ${message}${data ? ` ${JSON.stringify(data)}` : ''}`;
}
