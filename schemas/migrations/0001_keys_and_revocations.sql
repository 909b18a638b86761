CREATE TABLE `owner_keys` (
	`owner` text PRIMARY KEY NOT NULL,
	`wrapped_key` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `revoked_permits` (
	`owner` text NOT NULL,
	`permit_name` text NOT NULL,
	`revoked_at` integer NOT NULL,
	PRIMARY KEY(`owner`, `permit_name`)
);
