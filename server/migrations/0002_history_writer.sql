-- Who wrote each version: the admin API sets `origin_policy.writer` to its token's label
-- for the transaction of each write (`set_config(..., true)`), and the history records it.
-- Writes by other means (`db put`, plain SQL) record NULL.

ALTER TABLE origin_policy_history ADD COLUMN written_by text;

CREATE OR REPLACE FUNCTION origin_policy_record() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
    writer text := nullif(current_setting('origin_policy.writer', true), '');
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := nextval('origin_policy_version');
        INSERT INTO origin_policy_history (version, tenant, policy, format, written_at, written_by)
            VALUES (changed, OLD.tenant, NULL, NULL, clock_timestamp(), writer);
        PERFORM pg_notify('origin_policy',
            json_build_object('tenant', OLD.tenant, 'version', changed)::text);
        RETURN OLD;
    END IF;
    INSERT INTO origin_policy_history (version, tenant, policy, format, written_at, written_by)
        VALUES (NEW.version, NEW.tenant, NEW.policy, NEW.format, NEW.updated_at, writer);
    PERFORM pg_notify('origin_policy',
        json_build_object('tenant', NEW.tenant, 'version', NEW.version)::text);
    RETURN NEW;
END
$$;
