-- Grants need the grantee's consent. Every grant stored before this migration was made without it, so each
-- becomes `pending` (the column's default), not `accepted`: it matches nothing until its grantee accepts it.
ALTER TABLE `grants` ADD `state` text DEFAULT 'pending' NOT NULL;
