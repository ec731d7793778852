from tests.api.fixtures import module_tree, tree  # noqa: F401  (fixtures shared by every API test module)
