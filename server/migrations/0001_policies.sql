-- The policy feed of origin-policy-server: the current policy of each tenant, every
-- version ever written, and a notification for each change.
--
-- Versions come from one sequence shared by all tenants and are assigned here, by the
-- triggers, whoever writes (`origin-policy-server db put`, a dashboard, plain SQL): a
-- later write has a greater version. Writers are serialized by a transaction-scoped
-- advisory lock, taken before a statement touches a row and held until commit, so
-- versions also become visible in increasing order: a replica that has seen version V has
-- seen every version below it, and "everything changed since V" is one query on the
-- history, deletions included.

CREATE SEQUENCE origin_policy_version AS bigint;

-- The policy each tenant has now. `version` and `updated_at` are set by the triggers.
CREATE TABLE origin_policy (
    tenant     text        PRIMARY KEY
        CHECK (char_length(tenant) BETWEEN 1 AND 200 AND tenant !~ '[[:cntrl:]]'),
    version    bigint      NOT NULL UNIQUE,
    policy     text        NOT NULL,
    format     text        NOT NULL CHECK (format IN ('toml', 'json')),
    updated_at timestamptz NOT NULL
);

-- Every version ever written, for audit, rollback and the replicas' resync. A row with no
-- policy records that the tenant was deleted at that version.
CREATE TABLE origin_policy_history (
    version    bigint      PRIMARY KEY,
    tenant     text        NOT NULL,
    policy     text,
    format     text        CHECK (format IN ('toml', 'json')),
    written_at timestamptz NOT NULL,
    CHECK ((policy IS NULL) = (format IS NULL))
);

CREATE INDEX origin_policy_history_by_tenant ON origin_policy_history (tenant, version);

-- One writer at a time (key: 'origin_policy' as an advisory lock number), until commit.
CREATE FUNCTION origin_policy_serialize() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7955602758620427873);
    RETURN NULL;
END
$$;

CREATE TRIGGER origin_policy_serialize
    BEFORE INSERT OR UPDATE OR DELETE ON origin_policy
    FOR EACH STATEMENT EXECUTE FUNCTION origin_policy_serialize();

-- Each written row gets the next version; a tenant is never renamed in place (delete it
-- and insert the new name, so that replicas see both changes).
CREATE FUNCTION origin_policy_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.tenant <> OLD.tenant THEN
        RAISE EXCEPTION 'origin_policy: a tenant is not renamed in place (delete % and insert %)',
            OLD.tenant, NEW.tenant;
    END IF;
    NEW.version := nextval('origin_policy_version');
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END
$$;

CREATE TRIGGER origin_policy_stamp
    BEFORE INSERT OR UPDATE ON origin_policy
    FOR EACH ROW EXECUTE FUNCTION origin_policy_stamp();

-- Every change goes into the history and is announced on channel `origin_policy` as
-- {"tenant": ..., "version": ...}; a deletion gets a version of its own.
CREATE FUNCTION origin_policy_record() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := nextval('origin_policy_version');
        INSERT INTO origin_policy_history (version, tenant, policy, format, written_at)
            VALUES (changed, OLD.tenant, NULL, NULL, clock_timestamp());
        PERFORM pg_notify('origin_policy',
            json_build_object('tenant', OLD.tenant, 'version', changed)::text);
        RETURN OLD;
    END IF;
    INSERT INTO origin_policy_history (version, tenant, policy, format, written_at)
        VALUES (NEW.version, NEW.tenant, NEW.policy, NEW.format, NEW.updated_at);
    PERFORM pg_notify('origin_policy',
        json_build_object('tenant', NEW.tenant, 'version', NEW.version)::text);
    RETURN NEW;
END
$$;

CREATE TRIGGER origin_policy_record
    AFTER INSERT OR UPDATE OR DELETE ON origin_policy
    FOR EACH ROW EXECUTE FUNCTION origin_policy_record();

-- TRUNCATE would skip the row triggers, and so the history and the replicas.
CREATE FUNCTION origin_policy_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'origin_policy: TRUNCATE is not recorded; DELETE FROM origin_policy instead';
END
$$;

CREATE TRIGGER origin_policy_no_truncate
    BEFORE TRUNCATE ON origin_policy
    FOR EACH STATEMENT EXECUTE FUNCTION origin_policy_no_truncate();
