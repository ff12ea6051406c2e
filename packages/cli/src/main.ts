/** The `shoal` entry point (loaded by bin/shoal.js through tsx). */
import { runCli } from './cli.ts';

const status = await runCli(process.argv.slice(2));
// Exit explicitly: a stray handle (a timer in a page library, a socket the
// server kept) must not keep a finished CLI alive. stdout and stderr are
// synchronous for files and pipes on Linux, so nothing written is lost.
process.exit(status);
