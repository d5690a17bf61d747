"""The emulator core every platform shares: request pipeline (app), HTTP server, contract validation,
scenario files, command-line switches and the pytest factory body. No platform code lives here."""
