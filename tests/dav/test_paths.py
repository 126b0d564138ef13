"""Hrefs, percent-encoding and the prefixPath / proxyPrefixPath mapping (oxdav.dav.paths)."""

from __future__ import annotations

import pytest

from oxdav.dav.paths import (
    PathError,
    PathMapper,
    basename,
    decode_href,
    join_path,
    normalize_path,
    parent_path,
    path_of_href,
    quote_path,
    same_path,
    unquote_path,
)


def test_default_mapping_puts_dav_tree_under_dav() -> None:
    paths = PathMapper("/dav", "/")
    assert paths.href("/caldav", collection=True) == "/dav/caldav/"
    assert paths.to_internal("/dav/caldav/") == "/dav/caldav"
    assert paths.dav_path_of_href("/dav/caldav/") == "/caldav"


def test_legacy_servlet_mapping_hides_internal_prefix() -> None:
    paths = PathMapper("/servlet/dav", "/servlet/dav")
    assert paths.href("/caldav", collection=True) == "/caldav/"
    assert paths.to_internal("/caldav/12/") == "/servlet/dav/caldav/12"
    assert paths.dav_path_of_href("/caldav/12/") == "/caldav/12"


def test_proxy_publishing_under_other_prefix() -> None:
    paths = PathMapper("/dav", "/dav", external_prefix="/groupware/")
    assert paths.href("/caldav", collection=True) == "/groupware/caldav/"
    assert paths.to_external("/dav/caldav") == "/groupware/caldav"
    assert paths.to_internal("https://dav.example.com/groupware/caldav/") == "/dav/caldav"


def test_href_outside_external_prefix_is_not_ours() -> None:
    paths = PathMapper("/dav", "/dav", external_prefix="/groupware")
    assert paths.to_internal("/other/caldav/") is None


def test_href_outside_dav_tree_has_no_dav_path() -> None:
    assert PathMapper("/dav", "/").dav_path_of_href("/.well-known/caldav") is None


def test_prefix_must_lie_below_proxy_prefix() -> None:
    with pytest.raises(ValueError):
        PathMapper("/dav", "/servlet/dav")


def test_to_external_refuses_paths_outside_proxy_prefix() -> None:
    with pytest.raises(ValueError):
        PathMapper("/servlet/dav", "/servlet/dav").to_external("/.well-known/caldav")


def test_root_prefix_mounts_tree_at_server_root() -> None:
    paths = PathMapper("/", "/")
    assert paths.href("/", collection=True) == "/"
    assert paths.href("/caldav/12/a.ics") == "/caldav/12/a.ics"


def test_prefix_trailing_slashes_do_not_matter() -> None:
    assert PathMapper("/dav/", "/") == PathMapper("/dav", "")


def test_href_is_percent_encoded_and_byte_stable() -> None:
    paths = PathMapper("/dav", "/")
    first = paths.href("/caldav/12/Café meeting+1.ics")
    assert first == "/dav/caldav/12/Caf%C3%A9%20meeting%2B1.ics"
    assert paths.href("/caldav/12/Café meeting+1.ics") == first


def test_href_keeps_at_and_colon() -> None:
    assert quote_path("/caldav/12/uid@example.com:1.ics") == "/caldav/12/uid@example.com:1.ics"


def test_collection_href_ends_with_slash_either_way() -> None:
    paths = PathMapper("/dav", "/")
    assert paths.href("/caldav/12", collection=True) == "/dav/caldav/12/"
    assert paths.href("/caldav/12/", collection=True) == "/dav/caldav/12/"


def test_encoded_href_decodes_back_to_the_same_path() -> None:
    paths = PathMapper("/dav", "/")
    href = paths.href("/caldav/12/ä ö#?%.ics")
    assert paths.dav_path_of_href(href) == "/caldav/12/ä ö#?%.ics"


def test_absolute_destination_url_decodes_to_path() -> None:
    assert decode_href("https://dav.example.com:8443/dav/caldav/12/a%20b.ics") == (
        "/dav/caldav/12/a b.ics"
    )


def test_path_of_href_drops_query_and_fragment() -> None:
    assert path_of_href("/dav/x?y=1#z") == "/dav/x"
    assert path_of_href("http://h/dav/x?y#z") == "/dav/x"


def test_double_slash_path_is_not_taken_for_a_host() -> None:
    assert decode_href("//dav/caldav/") == "/dav/caldav"


def test_non_utf8_href_is_refused() -> None:
    with pytest.raises(PathError):
        unquote_path("/dav/%FF.ics")


def test_trailing_slash_is_ignored_when_comparing() -> None:
    assert same_path("/dav/caldav/", "/dav/caldav")


def test_normalize_resolves_dot_segments_and_empty_segments() -> None:
    assert normalize_path("//dav/./caldav//12/../13/") == "/dav/caldav/13"
    assert normalize_path("/../..") == "/"


def test_join_parent_and_basename() -> None:
    assert join_path("/caldav/12", "a.ics") == "/caldav/12/a.ics"
    assert parent_path("/caldav/12/a.ics") == "/caldav/12"
    assert basename("/caldav/12/") == "12"


def test_join_refuses_separator_in_segment() -> None:
    with pytest.raises(PathError):
        join_path("/caldav", "a/b")


@pytest.mark.parametrize(
    "mapper",
    [PathMapper("/dav", "/"), PathMapper("/", "/"), PathMapper("/servlet/dav", "/servlet/dav"),
     PathMapper("/dav", "/dav", external_prefix="/groupware/")],
)
def test_member_hrefs_match_mapping_each_path_alone(mapper: PathMapper) -> None:
    paths = ["/caldav/12/a b.ics", "/caldav/12/ü%.ics", "/caldav/12/c.ics", "/x/../caldav/12/d",
             "//caldav//12/e", "/caldav/12/.", "/caldav/12/..", "/caldav", "/", ""]
    for path in paths * 2:  # the second round reads the remembered parents
        expected = quote_path(mapper.to_external(mapper.internal_path(path)))
        assert mapper.href(path) == expected
        assert mapper.href(path, collection=True) == expected.rstrip("/") + "/"


def test_a_segment_is_encoded_as_quote_encodes_it() -> None:
    # quote_segment skips quote() for names made of safe characters only.
    from urllib.parse import quote

    from oxdav.dav.paths import quote_segment
    for segment in ["plain-name_1.ics", "a b.ics", "ümlaut.vcf", "x/y", "100%.ics", "a:b@c(d)",
                    "~tilde", "", "?#[]", "emoji\U0001F600", "semi;colon", "plus+sign"]:
        assert quote_segment(segment) == quote(segment, safe=":@()"), segment
