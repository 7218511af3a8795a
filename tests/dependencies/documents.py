"""GraphQL documents of groups and dependencies, shared by the tests."""

from __future__ import annotations

CREATE_GROUP = """mutation($input: TargetGroupInput!) { createTargetGroup(input: $input) {
  group { id name targets { name } } errors { field code message } } }"""
UPDATE_GROUP = """mutation($id: ID!, $input: TargetGroupPatch!) {
  updateTargetGroup(id: $id, input: $input) {
  group { id name targets { name } } errors { field code message } } }"""
DELETE_GROUP = """mutation($id: ID!) { deleteTargetGroup(id: $id) {
  deletedId errors { field code message } } }"""
GROUPS = """query($ws: ID!) { targetGroups(workspaceId: $ws) { id name targets { name } } }"""
SET_DEPS = """mutation($t: ID!, $d: [ID!]!) { setTargetDependencies(targetId: $t, dependsOn: $d) {
  target { name dependsOn { __typename ... on Target { name } ... on TargetGroup { name } } }
  errors { field code message } } }"""
GRAPH = """query($id: ID!) { target(id: $id) { name
  groups { name }
  dependsOn { __typename ... on Target { name } ... on TargetGroup { name } }
  dependents { name } } }"""
