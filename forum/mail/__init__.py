"""Outgoing e-mail: a queue in the database, SMTP delivery, a background sender, the CLI.

Low layer (imported by the services that queue mail): outbox, smtp, compose.
High layer (imports the services that say what each e-mail contains): delivery, worker, cli;
create_app wires it up after the blueprints are imported.
"""
