ALTER TABLE `documents` ADD `message_key` text;--> statement-breakpoint
CREATE INDEX `documents_owner_message_key` ON `documents` (`owner`,`message_key`);