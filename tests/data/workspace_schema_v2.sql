PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO meta VALUES('schema_version','2');
CREATE TABLE customers (
	id VARCHAR(64) NOT NULL, 
	email VARCHAR(320) NOT NULL, 
	name TEXT NOT NULL, 
	company TEXT NOT NULL, 
	tier VARCHAR(16) NOT NULL, 
	"plan" VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (email)
);
INSERT INTO customers VALUES('C-1','ann@example.com','Ann','','free','','2026-01-01 00:00:00.000000');
CREATE TABLE actions (
	id INTEGER NOT NULL, 
	ticket_id VARCHAR(64), 
	actor VARCHAR(128) NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	params JSON NOT NULL, 
	ok BOOLEAN NOT NULL, 
	result TEXT NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE tickets (
	id VARCHAR(64) NOT NULL, 
	subject TEXT NOT NULL, 
	customer_id VARCHAR(64), 
	channel VARCHAR(16) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	priority VARCHAR(16) NOT NULL, 
	priority_rank SMALLINT NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	tags JSON NOT NULL, 
	intent VARCHAR(64), 
	intent_confidence FLOAT, 
	sentiment VARCHAR(16), 
	assignee VARCHAR(128), 
	csat SMALLINT, 
	page_context JSON, 
	PRIMARY KEY (id), 
	FOREIGN KEY(customer_id) REFERENCES customers (id)
);
INSERT INTO tickets VALUES('T-1','Locked out','C-1','email','new','normal',2,'2026-01-02 00:00:00.000000','2026-01-02 00:00:00.000000','[]','account_access',NULL,NULL,NULL,NULL,'null');
CREATE TABLE messages (
	id INTEGER NOT NULL, 
	ticket_id VARCHAR(64) NOT NULL, 
	seq INTEGER NOT NULL, 
	author VARCHAR(16) NOT NULL, 
	author_name TEXT NOT NULL, 
	body TEXT NOT NULL, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_messages_ticket_seq UNIQUE (ticket_id, seq), 
	FOREIGN KEY(ticket_id) REFERENCES tickets (id) ON DELETE CASCADE
);
INSERT INTO messages VALUES(1,'T-1',0,'customer','','I cannot get in','2026-01-02 00:00:00.000000');
CREATE TABLE drafts (
	id INTEGER NOT NULL, 
	ticket_id VARCHAR(64) NOT NULL, 
	text TEXT NOT NULL, 
	sources JSON NOT NULL, 
	drafter VARCHAR(32) NOT NULL, 
	model VARCHAR(128) NOT NULL, 
	prompt_version VARCHAR(64) NOT NULL, 
	confidence FLOAT NOT NULL, 
	handoff_reason TEXT, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(ticket_id) REFERENCES tickets (id) ON DELETE CASCADE
);
CREATE TABLE edit_events (
	id VARCHAR(64) NOT NULL, 
	ticket_id VARCHAR(64) NOT NULL, 
	agent VARCHAR(128) NOT NULL, 
	original_text TEXT NOT NULL, 
	current_text TEXT NOT NULL, 
	outcome VARCHAR(32) NOT NULL, 
	intent VARCHAR(64), 
	drafter VARCHAR(32) NOT NULL, 
	model VARCHAR(128) NOT NULL, 
	prompt_version VARCHAR(64) NOT NULL, 
	shown_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	keystrokes INTEGER NOT NULL, 
	similarity FLOAT, 
	edit_distance FLOAT, 
	edit_class VARCHAR(32), 
	reason VARCHAR(64), 
	PRIMARY KEY (id), 
	FOREIGN KEY(ticket_id) REFERENCES tickets (id) ON DELETE CASCADE
);
CREATE INDEX ix_actions_ticket ON actions (ticket_id);
CREATE INDEX ix_tickets_queue ON tickets (priority_rank, created_at, id);
CREATE INDEX ix_tickets_customer ON tickets (customer_id);
CREATE INDEX ix_tickets_intent ON tickets (intent);
CREATE INDEX ix_drafts_ticket ON drafts (ticket_id);
CREATE INDEX ix_edit_events_outcome ON edit_events (outcome);
CREATE INDEX ix_edit_events_ticket ON edit_events (ticket_id);
COMMIT;
