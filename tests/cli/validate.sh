# skillsmith validate: a valid skill, each kind of violation, the config and
# task modes.
. "$SKILLSMITH_TOP/tests/lib.sh"
D=$TOP/tests/data/foundation
S=$D/skills

expect_exit 0 "a valid skill folder passes" "$SS" validate "$S/date-reasoning"
expect_out "valid skill 'date-reasoning'" "says the skill is valid"
expect_exit 0 "its SKILL.md path passes too" "$SS" validate "$S/date-reasoning/SKILL.md"

expect_exit 1 "a bad name is a violation" "$SS" validate "$S/Bad_Skill"
expect_out "Bad_Skill/SKILL.md:2: field 'name': 'Bad_Skill' must be 1-64 characters" "names file, line and field"

expect_exit 1 "every violation is reported" "$SS" validate "$S/many-problems"
expect_out "SKILL.md:2: field 'name': 'other-name' must match the folder name 'many-problems'" "name must match the folder"
expect_out "SKILL.md:3: field 'description': must not be empty" "empty description"
expect_out "SKILL.md:4: field 'compatibility': is 501 characters long" "compatibility too long"
expect_out "SKILL.md:6: field 'metadata': must be a map of strings to strings" "metadata not a string map"
expect_out "SKILL.md:8: field 'version': unknown key" "unknown key version"
expect_out "SKILL.md:9: field 'colour': unknown key" "unknown key colour"
expect_out "warning: $S/many-problems/SKILL.md:11: field 'body': has 520 lines" "long body warned"
expect_out "6 violations" "counts the violations"

expect_exit 1 "no front matter" "$SS" validate "$S/no-front-matter"
expect_out "SKILL.md:1: must start with YAML front matter" "says what is missing"
expect_exit 1 "unclosed front matter" "$SS" validate "$S/unclosed"
expect_out "front matter is not closed" "says it is not closed"
expect_exit 1 "invalid YAML" "$SS" validate "$S/bad-yaml"
expect_out "invalid YAML in the front matter" "says the YAML is invalid"
expect_exit 1 "a folder without SKILL.md" "$SS" validate "$S/empty-folder"
expect_out "has no SKILL.md" "says SKILL.md is missing"
expect_exit 1 "scripts must be a folder" "$SS" validate "$S/scripts-file"
expect_out "scripts: must be a folder" "names scripts"

# a skill folder written here, under the cwd, validated by relative path
mkdir -p here-skill
printf -- '---\nname: here-skill\ndescription: d\n---\nDo it.\n' > here-skill/SKILL.md
expect_exit 0 "a relative folder path" "$SS" validate here-skill
(cd here-skill && "$SS" validate . >/dev/null 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "'.' is the folder's own name"; else notok "'.' is the folder's own name (exit $rc)"; fi

expect_exit 0 "a valid config with its tasks" "$SS" validate --config "$D/config-min.json"
expect_out "valid config 'config-min'" "names the config"
expect_out "8 tasks, 1 with a grader override" "counts the tasks"
expect_out "split (seed 0): 2 induction, 4 verification, 2 test" "shows the split"
expect_exit 0 "a valid task file" "$SS" validate --tasks "$D/tasks-good.jsonl"
expect_out "tasks-good.jsonl: 8 tasks" "counts the tasks"
