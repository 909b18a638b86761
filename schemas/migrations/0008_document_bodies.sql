CREATE TABLE `document_bodies` (
	`owner` text NOT NULL,
	`doc_id` text NOT NULL,
	`sections` text NOT NULL,
	`original` text,
	PRIMARY KEY(`owner`, `doc_id`)
);
