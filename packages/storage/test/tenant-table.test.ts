/** The tenant-table DDL helper: conventions present, identifiers refused when not plain. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tenantTable } from '../src/index.ts';

describe('tenantTable', () => {
  it('emits NOT NULL tenant, ENABLE + FORCE RLS, one policy for USING and WITH CHECK, and grants', () => {
    const sql = tenantTable('clients', 'id text NOT NULL');
    assert.match(sql, /tenant text NOT NULL/);
    assert.match(sql, /ALTER TABLE clients ENABLE ROW LEVEL SECURITY/);
    assert.match(sql, /ALTER TABLE clients FORCE ROW LEVEL SECURITY/);
    assert.match(
      sql,
      /USING \(tenant = current_setting\('stella\.tenant', true\)\) WITH CHECK \(tenant = current_setting\('stella\.tenant', true\)\)/,
    );
    assert.match(sql, /GRANT SELECT, INSERT, UPDATE, DELETE ON clients TO stella_app/);
    assert.doesNotMatch(sql, /stella_refuse_mutation/);
  });

  it('append-only tables get no UPDATE/DELETE grant and refusal triggers', () => {
    const sql = tenantTable('tlog', 'seq bigint NOT NULL', {
      appendOnly: true,
      appRole: 'svc_app',
    });
    assert.match(sql, /GRANT SELECT, INSERT ON tlog TO svc_app;/);
    assert.match(
      sql,
      /BEFORE UPDATE OR DELETE ON tlog FOR EACH ROW EXECUTE FUNCTION stella_refuse_mutation\(\)/,
    );
    assert.match(
      sql,
      /BEFORE TRUNCATE ON tlog FOR EACH STATEMENT EXECUTE FUNCTION stella_refuse_mutation\(\)/,
    );
  });

  it('refuses non-identifier table and role names', () => {
    for (const name of ['Clients', 'a;drop', 'a b', '1abc', '', 'x'.repeat(49)]) {
      assert.throws(() => tenantTable(name, 'id int'), TypeError);
    }
    assert.throws(() => tenantTable('ok', 'id int', { appRole: 'app; DROP' }), TypeError);
  });
});
