"""Pagination: ListUsers, ListRoles and ListPolicies through boto3's paginators with one to
three items per page and by hand with Marker; names sorted regardless of case; PathPrefix."""

from common import A, B_ROOT, allow, check, client, equal, policy, run, trust

USERS = [("delta", "/eng/"), ("Alpha", "/"), ("charlie", "/eng/"), ("Bravo", "/ops/"), ("echo", "/eng/backend/")]
ROLES = [("zulu", "/"), ("Yankee", "/svc/"), ("xray", "/svc/"), ("Whiskey", "/")]
POLICIES = [("pol-b", "/"), ("Pol-A", "/team/"), ("pol-c", "/team/")]


def by_name(names):
    return sorted(names, key=str.lower)


def pages(call, key, page_size, **kwargs):
    """The pages of a boto3 paginator: a list of name lists."""
    paginator = call.__self__.get_paginator(call.__name__)
    out = []
    for page in paginator.paginate(PaginationConfig={"PageSize": page_size}, **kwargs):
        out.append(page[key])
    return out


def by_hand(call, key, max_items, **kwargs):
    """Marker/IsTruncated paging without the paginator."""
    out, marker = [], None
    while True:
        args = dict(kwargs, MaxItems=max_items)
        if marker:
            args["Marker"] = marker
        page = call(**args)
        check(len(page[key]) <= max_items, "a page holds at most MaxItems", page)
        out.append(page[key])
        if not page["IsTruncated"]:
            check("Marker" not in page, "the last page has no Marker", page)
            return out
        check(page.get("Marker"), "a truncated page has a Marker", page)
        marker = page["Marker"]


def names(page_list, field):
    return [item[field] for page in page_list for item in page]


def scenario():
    iam = client("iam", B_ROOT)
    for name, path in USERS:
        iam.create_user(UserName=name, Path=path)
    for name, path in ROLES:
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust("arn:aws:iam::%s:root" % A))
    for name, path in POLICIES:
        iam.create_policy(PolicyName=name, Path=path, PolicyDocument=policy(allow("s3:GetObject")))

    user_names = by_name([u for u, _ in USERS])
    role_names = by_name([r for r, _ in ROLES] + ["accounta"])  # accounta: the scenario's role
    policy_names = by_name([p for p, _ in POLICIES] + ["s3-all"])  # s3-all: the scenario's policy
    facts = {"users": user_names, "roles": role_names, "policies": policy_names}

    for size in (1, 2, 3):
        got = pages(iam.list_users, "Users", size)
        equal(names(got, "UserName"), user_names, "ListUsers with PageSize %d" % size)
        equal(len(got), -(-len(user_names) // size), "ListUsers page count with PageSize %d" % size)
        check(all(len(p) == size for p in got[:-1]), "every page but the last is full", got)

        got = pages(iam.list_roles, "Roles", size)
        equal(names(got, "RoleName"), role_names, "ListRoles with PageSize %d" % size)

        got = pages(iam.list_policies, "Policies", size, Scope="Local")
        equal(names(got, "PolicyName"), policy_names, "ListPolicies Scope=Local with PageSize %d" % size)

        got = by_hand(iam.list_users, "Users", size)
        equal(names(got, "UserName"), user_names, "ListUsers by Marker with MaxItems %d" % size)
        got = by_hand(iam.list_roles, "Roles", size)
        equal(names(got, "RoleName"), role_names, "ListRoles by Marker with MaxItems %d" % size)

    # PathPrefix: a prefix of the path, not of the name; "/eng/" includes "/eng/backend/".
    got = names(pages(iam.list_users, "Users", 1, PathPrefix="/eng/"), "UserName")
    equal(got, by_name(["delta", "charlie", "echo"]), "ListUsers PathPrefix=/eng/")
    got = names(pages(iam.list_roles, "Roles", 1, PathPrefix="/svc/"), "RoleName")
    equal(got, by_name(["Yankee", "xray"]), "ListRoles PathPrefix=/svc/")
    got = names(pages(iam.list_policies, "Policies", 2, Scope="Local", PathPrefix="/team/"), "PolicyName")
    equal(got, by_name(["Pol-A", "pol-c"]), "ListPolicies PathPrefix=/team/")

    # The whole listing in one page when MaxItems is large enough.
    whole = iam.list_users(MaxItems=100)
    equal(whole["IsTruncated"], False, "IsTruncated of a complete listing")
    equal([u["UserName"] for u in whole["Users"]], user_names, "ListUsers in one page")

    # AWS managed policies are listed under Scope=AWS, sorted too.
    aws = names(pages(iam.list_policies, "Policies", 3, Scope="AWS"), "Arn")
    check(aws and all(a.startswith("arn:aws:iam::aws:policy/") for a in aws), "Scope=AWS", aws)
    check("arn:aws:iam::aws:policy/ReadOnlyAccess" in aws, "ReadOnlyAccess is listed", aws)
    aws_names = [a.rsplit("/", 1)[-1] for a in aws]
    equal(aws_names, by_name(aws_names), "AWS managed policies sorted by name")
    facts["aws_managed_policies"] = len(aws)
    return facts


run(scenario)
