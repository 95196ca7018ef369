import { describe, expect, it } from 'vitest';
import { validatePolicyFiles } from '../../src/policy/index.js';

/** Problems of one inline file, as `validate` prints them. */
function problemsOf(text: string, file = 'p.yaml'): string[] {
  return validatePolicyFiles([{ path: file, text }]).problems.map(
    (p) => `${p.file}:${p.line}:${p.column} ${p.message}`,
  );
}

const header = `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: chat }
`;

/** A valid policy with the environments given: the first environment is on line 9. */
function withEnvironments(environments: string, extra = ''): string {
  return `${header}spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - { name: chat-ui, image: harbor.example.com/bootcamp/chat-ui }
  environments:
${environments}${extra}`;
}

describe('policy/validatePolicyFiles()', () => {
  it('accepts a valid policy and fills in the defaults', () => {
    const { policies, problems } = validatePolicyFiles([
      {
        path: 'p.yaml',
        text: withEnvironments(
          '    - { name: dev, path: "{{app}}/dev", update: commit }\n' +
            '    - { name: prod, path: "{{app}}/prod", update: pull-request, from: dev }\n',
        ),
      },
    ]);
    expect(problems).toEqual([]);
    expect(policies[0]?.spec.deployRepo.branch).toBe('main');
    expect(policies[0]?.spec.apps[0]?.tags.allow).toBe('^[0-9a-f]{7,40}$');
    expect(policies[0]?.spec.environments[1]).toMatchObject({ autoMerge: false, merger: 'bot', gates: [] });
  });

  it('reads several policies from the documents of one file', () => {
    const second = withEnvironments('    - { name: dev, path: other/dev, update: commit }\n')
      .replace('name: chat }', 'name: other }')
      .replace(
        'name: chat-ui, image: harbor.example.com/bootcamp/chat-ui',
        'name: other, image: harbor.example.com/x/other',
      );
    const first = withEnvironments('    - { name: dev, path: chat-ui/dev, update: commit }\n');
    const { policies, problems } = validatePolicyFiles([{ path: 'p.yaml', text: `${first}---\n${second}` }]);
    expect(problems).toEqual([]);
    expect(policies.map((p) => p.metadata.name)).toEqual(['chat', 'other']);
  });

  describe('schema problems, each at its line and column', () => {
    it('points an unknown key at the key, with the closest known key as a hint', () => {
      const text = withEnvironments(
        '    - name: dev\n      path: chat-ui/dev\n      update: commit\n      automerge: true\n',
      );
      expect(problemsOf(text)).toEqual([
        'p.yaml:12:7 spec.environments[0]: unknown key "automerge" (did you mean "autoMerge"?)',
      ]);
    });

    it('points a missing key at its parent', () => {
      const text = `${header}spec:
  deployRepo:
    scm: gitea
  apps:
    - { name: chat-ui, image: harbor.example.com/bootcamp/chat-ui }
  environments:
    - name: dev
      update: commit
`;
      expect(problemsOf(text)).toEqual([
        'p.yaml:5:3 spec.deployRepo: missing required key "repo"',
        'p.yaml:10:7 spec.environments[0]: missing required key "path"',
      ]);
    });

    it('points a wrong value at the value', () => {
      const text = withEnvironments(
        '    - name: dev\n' + //                                      9
          '      path: /etc/dev\n' + //                                10
          '      update: push\n' + //                                  11
          '    - { name: Prod, path: a/../../b, update: pull-request, from: dev, soak: 10 minutes }\n',
      );
      expect(problemsOf(text)).toEqual([
        'p.yaml:10:13 spec.environments[0].path: expected a relative path inside the deploy repo, without "..", got "/etc/dev"',
        'p.yaml:11:15 spec.environments[0].update: expected one of "commit", "pull-request", got "push"',
        'p.yaml:12:15 spec.environments[1].name: expected lowercase letters, digits and "-" (a DNS label), got "Prod"',
        'p.yaml:12:27 spec.environments[1].path: expected a relative path inside the deploy repo, without "..", got "a/../../b"',
        'p.yaml:12:77 spec.environments[1].soak: expected a duration like 30s, 10m or 1h30m, got "10 minutes"',
      ]);
    });

    it('names the expected type when a value has the wrong shape', () => {
      const text = withEnvironments('    - { name: dev, path: x, update: commit, gates: ttft-p95 }\n');
      expect(problemsOf(text)).toEqual([
        'p.yaml:9:52 spec.environments[0].gates: expected array, got string "ttft-p95"',
      ]);
    });

    it('refuses a document that is not a PromotionPolicy', () => {
      expect(problemsOf('apiVersion: v1\nkind: ConfigMap\n')).toEqual([
        'p.yaml:1:1 missing required key "metadata"',
        'p.yaml:1:1 missing required key "spec"',
        'p.yaml:1:13 apiVersion: expected "promobot.dev/v1alpha1", got "v1"',
        'p.yaml:2:7 kind: expected "PromotionPolicy", got "ConfigMap"',
      ]);
    });

    it('reports unsafe YAML and schema problems of the other documents together', () => {
      const text = `a: !Ref x\n---\n${header}`;
      expect(problemsOf(text)).toEqual([
        'p.yaml:1:4 tag !Ref is not allowed',
        'p.yaml:3:1 missing required key "spec"',
      ]);
    });
  });

  describe('environment checks', () => {
    it('refuses two environments with one name', () => {
      const text = withEnvironments(
        '    - { name: dev, path: a/dev, update: commit }\n    - { name: dev, path: a/dev2, update: commit }\n',
      );
      expect(problemsOf(text)).toEqual([
        'p.yaml:10:15 spec.environments[1].name: environment "dev" is already defined at spec.environments[0]',
      ]);
    });

    it('refuses from naming an unknown, a later or the same environment', () => {
      const text = withEnvironments(
        '    - { name: dev, path: a/dev, update: commit }\n' + //                              9
          '    - { name: staging, path: a/staging, update: pull-request, from: prod }\n' + //     10
          '    - { name: prod, path: a/prod, update: pull-request, from: prod }\n' + //           11
          '    - { name: qa, path: a/qa, update: pull-request, from: stagin }\n', //              12
      );
      expect(problemsOf(text)).toEqual([
        'p.yaml:10:69 spec.environments[1].from: "prod" must be listed before "staging" (environments are in promotion order)',
        'p.yaml:11:63 spec.environments[2].from: environment "prod" cannot take from itself',
        'p.yaml:12:59 spec.environments[3].from: "stagin" is not an environment of this policy (dev, staging, prod, qa)',
      ]);
    });

    it('needs an entry environment', () => {
      const text = withEnvironments('    - { name: dev, path: a/dev, update: commit, from: dev }\n');
      expect(problemsOf(text)).toEqual([
        'p.yaml:8:3 spec.environments: no entry environment: at least one environment must have no from, so image pushes land somewhere',
        'p.yaml:9:55 spec.environments[0].from: environment "dev" cannot take from itself',
      ]);
    });

    it('refuses pull-request settings on an environment that moves by commit', () => {
      const text = withEnvironments(
        '    - name: dev\n' +
          '      path: a/dev\n' +
          '      update: commit\n' +
          '      autoMerge: false\n' + // 12
          '      merger: people\n' + //   13
          '      approvals: { required: 1 }\n', // 14
      );
      expect(problemsOf(text)).toEqual([
        'p.yaml:12:7 spec.environments[0].autoMerge: only applies to update: pull-request ("dev" moves by commit)',
        'p.yaml:13:7 spec.environments[0].merger: only applies to update: pull-request ("dev" moves by commit)',
        'p.yaml:14:7 spec.environments[0].approvals: only applies to update: pull-request ("dev" moves by commit)',
      ]);
    });

    it('refuses gates and soak on an entry environment, which has nothing upstream to measure', () => {
      const text = withEnvironments(
        '    - { name: dev, path: a/dev, update: pull-request, gates: [error-rate], soak: 5m }\n',
      );
      expect(problemsOf(text)).toEqual([
        'p.yaml:9:55 spec.environments[0].gates: gates measure the candidate where it already runs, so they need from: "dev" is an entry environment',
        'p.yaml:9:76 spec.environments[0].soak: soak is how long the candidate runs upstream first, so it needs from: "dev" is an entry environment',
      ]);
    });

    it('refuses more required approvals than listed approvers', () => {
      const text = withEnvironments(
        '    - { name: dev, path: a/dev, update: commit }\n' +
          '    - name: prod\n' +
          '      path: a/prod\n' +
          '      update: pull-request\n' +
          '      from: dev\n' +
          '      approvals: { required: 2, approvers: [alice] }\n', // 14
      );
      expect(problemsOf(text)).toEqual([
        'p.yaml:14:30 spec.environments[1].approvals.required: 2 approvals required but only 1 approver(s) listed',
      ]);
    });

    it('refuses an unknown placeholder in a path', () => {
      const text = withEnvironments('    - { name: dev, path: "{{app}}/{{environment}}", update: commit }\n');
      expect(problemsOf(text)).toEqual([
        'p.yaml:9:26 spec.environments[0].path: unknown placeholder {{environment}} (use {{app}} or {{env}})',
      ]);
    });
  });

  describe('gate checks', () => {
    const envs =
      '    - { name: dev, path: a/dev, update: commit }\n' +
      '    - { name: prod, path: a/prod, update: pull-request, from: dev, gates: [ttft-p95, latency, nope] }\n'; // 10

    it('accepts presets by name and gates defined in spec.gates, and refuses any other name', () => {
      const text = withEnvironments(envs, '  gates:\n    - { name: latency, query: "up", max: 1 }\n');
      expect(problemsOf(text)).toEqual([
        'p.yaml:10:95 spec.environments[1].gates[2]: unknown gate "nope": define it under spec.gates or use a preset',
      ]);
    });

    it('needs a query or a preset, a threshold with a query, and unique names', () => {
      const gates =
        '  gates:\n' + //                                                               11
        '    - { name: latency, query: "up" }\n' + //                                  12
        '    - { name: nope, window: 5m }\n' + //                                      13
        '    - { name: latency, preset: error-rate, query: "up", max: 1 }\n' + //      14
        '    - { name: ttft-p95, max: 1.5 }\n'; //                                     15
      expect(problemsOf(withEnvironments(envs, gates))).toEqual([
        'p.yaml:12:7 spec.gates[0]: gate "latency" needs a threshold: max, min, maxRatio or maxIncrease',
        'p.yaml:13:7 spec.gates[1]: gate "nope" needs a query or a preset',
        'p.yaml:14:15 spec.gates[2].name: gate "latency" is already defined at spec.gates[0]',
        'p.yaml:14:24 spec.gates[2].preset: gate "latency": set query or preset, not both',
      ]);
    });

    it('offers only the built-in presets as preset', () => {
      const text = withEnvironments(
        envs,
        '  gates:\n    - { name: latency, preset: p99 }\n    - { name: nope, preset: vllm-error-rate }\n',
      );
      expect(problemsOf(text)).toEqual([
        'p.yaml:12:32 spec.gates[0].preset: expected one of "ttft-p95", "error-rate", "vllm-ttft-p95", "vllm-error-rate", got "p99"',
      ]);
    });
  });

  describe('tag rules', () => {
    it('refuses a regular expression that does not compile, and one that lets latest through', () => {
      const text = `${header}spec:
  deployRepo: { scm: gitea, repo: bootcamp/notes-deploy }
  apps:
    - name: chat-ui
      image: harbor.example.com/bootcamp/chat-ui
      tags: { allow: '.*', deny: '(' }
  environments:
    - { name: dev, path: a/dev, update: commit }
`;
      expect(problemsOf(text)).toEqual([
        'p.yaml:9:22 spec.apps[0].tags.allow: matches "latest": environments must pin immutable tags',
        'p.yaml:9:34 spec.apps[0].tags.deny: not a valid regular expression: /(/: Unterminated group',
      ]);
    });
  });

  describe('checks across policies', () => {
    const policy = (name: string, app: string, image: string, path: string, repo = 'bootcamp/notes-deploy') =>
      `apiVersion: promobot.dev/v1alpha1
kind: PromotionPolicy
metadata: { name: ${name} }
spec:
  deployRepo: { scm: gitea, repo: ${repo} }
  apps:
    - { name: ${app}, image: ${image} }
  environments:
    - { name: dev, path: ${path}, update: commit }
`;

    it('refuses a second app with the same name or image, pointing at the later one', () => {
      const files = [
        { path: 'a.yaml', text: policy('a', 'chat-ui', 'harbor.example.com/bootcamp/chat-ui', 'a/dev') },
        { path: 'b.yaml', text: policy('b', 'chat-ui', 'harbor.example.com/bootcamp/chat-ui', 'b/dev') },
      ];
      expect(validatePolicyFiles(files).problems).toEqual([
        {
          file: 'b.yaml',
          line: 7,
          column: 15,
          message: 'spec.apps[0].name: app "chat-ui" is already defined in policy "a"',
        },
        {
          file: 'b.yaml',
          line: 7,
          column: 31,
          message:
            'spec.apps[0].image: image harbor.example.com/bootcamp/chat-ui already belongs to app "chat-ui" in policy "a": an image maps to exactly one app',
        },
      ]);
    });

    it('refuses two policies with one name', () => {
      const files = [
        { path: 'a.yaml', text: policy('a', 'one', 'harbor.example.com/x/one', 'one/dev') },
        { path: 'b.yaml', text: policy('a', 'two', 'harbor.example.com/x/two', 'two/dev') },
      ];
      expect(
        validatePolicyFiles(files).problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`),
      ).toEqual(['b.yaml:3:19 metadata.name: policy "a" is defined twice']);
    });

    it('refuses two policies writing the same or nested folders of one deploy repo branch', () => {
      const files = [
        { path: 'a.yaml', text: policy('a', 'one', 'harbor.example.com/x/one', 'apps/dev') },
        {
          path: 'b.yaml',
          text: policy('b', 'two', 'harbor.example.com/x/two', './apps/dev/', 'Bootcamp/Notes-Deploy'),
        },
        { path: 'c.yaml', text: policy('c', 'three', 'harbor.example.com/x/three', 'apps') },
        {
          path: 'd.yaml',
          text: policy('d', 'four', 'harbor.example.com/x/four', 'apps/dev', 'bootcamp/other-deploy'),
        },
      ];
      expect(
        validatePolicyFiles(files).problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message}`),
      ).toEqual([
        'b.yaml:9:26 spec.environments[0].path: path apps/dev is apps/dev in gitea:Bootcamp/Notes-Deploy@main, claimed by policy "a" (environment "dev", app "one")',
        'c.yaml:9:26 spec.environments[0].path: path apps overlaps apps/dev in gitea:bootcamp/notes-deploy@main, claimed by policy "a" (environment "dev", app "one")',
      ]);
    });

    it('refuses one app using the same folder for two environments', () => {
      const text = withEnvironments(
        '    - { name: dev, path: chat-ui, update: commit }\n    - { name: prod, path: chat-ui/, update: pull-request, from: dev }\n',
      );
      expect(problemsOf(text)).toEqual([
        'p.yaml:10:27 spec.environments[1].path: path chat-ui is also environment "dev"\'s folder for app "chat-ui": each environment needs its own folder',
      ]);
    });
  });
});
