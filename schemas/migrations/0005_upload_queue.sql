CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`collection` text NOT NULL,
	`name` text NOT NULL,
	`size` integer NOT NULL,
	`state` text NOT NULL,
	`result` text,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `uploads_owner` ON `uploads` (`owner`);--> statement-breakpoint
CREATE INDEX `uploads_state` ON `uploads` (`state`);