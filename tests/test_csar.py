"""The CSAR reader: entry selection by TOSCA.meta (2.0 and 1.x forms) or by the
single root YAML file, private extraction, and every refusal, on archives
built here with zipfile and tarfile."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from primage_tosca import catalog
from primage_tosca.source.csar import CsarError, CsarLimits, open_csar, parse_meta, split_definitions

from conftest import CORPUS, needs_corpus

TEMPLATE = b"tosca_definitions_version: tosca_2_0\nservice_template:\n  node_templates: {}\n"
META_2 = b"CSAR-Version: 2.0\nCreated-By: PRIMAGE tests\nEntry-Definitions: service.yaml\n"
META_1 = (b"TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: PRIMAGE tests\n"
          b"Entry-Definitions: definitions/main.yaml\n")


def make_zip(path: Path, files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def tar_file(name: str, data: bytes) -> tuple[tarfile.TarInfo, io.BytesIO]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, io.BytesIO(data)


def make_tar(path: Path, files: dict[str, bytes], mode: str = "w:gz",
             extra: list[tarfile.TarInfo] = ()) -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in files.items():
            archive.addfile(*tar_file(name, data))
        for info in extra:
            archive.addfile(info)
    return path


def refusal(source: Path, limits: CsarLimits = CsarLimits()) -> CsarError:
    with pytest.raises(CsarError) as caught:
        with open_csar(source, limits):
            pass
    return caught.value


# --- finding the entry ----------------------------------------------------------


@pytest.mark.parametrize("maker, suffix", [(make_zip, "csar"), (make_zip, "zip"),
                                           (lambda p, f: make_tar(p, f, "w"), "tar"),
                                           (make_tar, "tar.gz"), (make_tar, "tgz")])
def test_every_archive_format_gives_the_entry_named_by_tosca_meta(tmp_path, maker, suffix):
    source = maker(tmp_path / f"app.{suffix}", {"TOSCA-Metadata/TOSCA.meta": META_2,
                                                "service.yaml": TEMPLATE, "other.yaml": b"x: 1\n",
                                                "scripts/run.sh": b"echo hi\n"})
    with open_csar(source) as csar:
        assert csar.entry == csar.root / "service.yaml"
        assert csar.entry.read_bytes() == TEMPLATE
        assert (csar.root / "scripts" / "run.sh").read_bytes() == b"echo hi\n"
        assert csar.metadata.csar_version == "2.0"
        assert csar.metadata.created_by == "PRIMAGE tests"
        assert csar.metadata.meta_file == "TOSCA-Metadata/TOSCA.meta"


def test_a_folder_is_read_like_an_archive(tmp_path):
    folder = tmp_path / "app"
    (folder / "TOSCA-Metadata").mkdir(parents=True)
    (folder / "TOSCA-Metadata" / "TOSCA.meta").write_bytes(META_2)
    (folder / "service.yaml").write_bytes(TEMPLATE)
    with open_csar(folder) as csar:
        assert csar.entry.read_bytes() == TEMPLATE
        assert csar.root != folder and folder not in csar.entry.parents


def test_the_one_x_form_of_tosca_meta(tmp_path):
    source = make_zip(tmp_path / "old.csar", {"TOSCA-Metadata/TOSCA.meta": META_1,
                                              "definitions/main.yaml": TEMPLATE})
    with open_csar(source) as csar:
        assert csar.entry == csar.root / "definitions" / "main.yaml"
        assert csar.metadata.meta_file_version == "1.0"
        assert csar.metadata.csar_version == "1.1"


def test_tosca_meta_at_the_root_other_definitions_and_more_blocks(tmp_path):
    meta = (b"CSAR-Version: 2.0\nEntry-Definitions: main.yaml\n"
            b'Other-Definitions: defs/a.yaml "defs/with space.yaml"\nAcme-Owner: ops\n'
            b"\nName: defs/a.yaml\nContent-Type: text/yaml\n")
    source = make_zip(tmp_path / "a.zip", {"TOSCA.meta": meta, "main.yaml": TEMPLATE,
                                           "defs/a.yaml": TEMPLATE, "defs/with space.yaml": TEMPLATE})
    with open_csar(source) as csar:
        assert csar.metadata.other_definitions == ("defs/a.yaml", "defs/with space.yaml")
        assert csar.other_definitions == (csar.root / "defs" / "a.yaml", csar.root / "defs" / "with space.yaml")
        assert csar.metadata.extra == {"Acme-Owner": "ops"}
        assert csar.metadata.blocks == ({"Name": "defs/a.yaml", "Content-Type": "text/yaml"},)


def test_meta_without_entry_definitions_falls_back_to_the_root_yaml(tmp_path):
    source = make_zip(tmp_path / "a.zip", {"TOSCA.meta": b"CSAR-Version: 2.0\n", "only.yml": TEMPLATE})
    with open_csar(source) as csar:
        assert csar.entry.name == "only.yml"


@needs_corpus()
def test_corpus_case_csar_without_a_tosca_meta_file(tmp_path):
    """The OASIS case: an archive whose only root YAML file is the entry, its
    CSAR-Version inferred from tosca_definitions_version."""
    case = CORPUS / "oasis-tosca-2.0" / "csar-without-a-toscameta-file" / "s155.yaml"
    data = case.read_bytes()
    for source in (make_zip(tmp_path / "s155.zip", {"s155.yaml": data, "nested/extra.yaml": TEMPLATE}),
                   make_tar(tmp_path / "s155.tar.gz", {"s155.yaml": data, "nested/extra.yaml": TEMPLATE})):
        with open_csar(source) as csar:
            assert csar.entry.read_bytes() == data
            assert csar.metadata.csar_version == "2.0"
            assert csar.metadata.meta_file is None


def test_one_x_template_without_meta_infers_csar_version_1_1(tmp_path):
    source = make_zip(tmp_path / "a.zip", {"t.yaml": b"tosca_definitions_version: tosca_simple_yaml_1_3\n"})
    with open_csar(source) as csar:
        assert csar.metadata.csar_version == "1.1"


def test_extraction_is_private_and_removed_afterwards(tmp_path):
    source = make_tar(tmp_path / "a.tgz", {"TOSCA.meta": META_2, "service.yaml": TEMPLATE, "d/f.txt": b"x"})
    with open_csar(source) as csar:
        root = csar.root
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        assert stat.S_IMODE((root / "d").stat().st_mode) == 0o700
        assert stat.S_IMODE(csar.entry.stat().st_mode) == 0o600
        assert stat.S_IMODE((root / "d" / "f.txt").stat().st_mode) == 0o600
    assert not root.exists()


def test_folder_is_removed_when_the_block_raises(tmp_path):
    source = make_zip(tmp_path / "a.zip", {"service.yaml": TEMPLATE})
    with pytest.raises(RuntimeError):
        with open_csar(source) as csar:
            root = csar.root
            raise RuntimeError("boom")
    assert not root.exists()


# --- refusals: the entry and TOSCA.meta -------------------------------------------


@pytest.mark.parametrize("files, words", [
    ({"a.yaml": TEMPLATE, "b.yml": TEMPLATE}, "several YAML files at its root (a.yaml, b.yml)"),
    ({"sub/a.yaml": TEMPLATE, "readme.txt": b"hi"}, "no TOSCA.meta and no .yaml or .yml file at its root"),
    ({"TOSCA.meta": b"CSAR-Version: 2.0\nEntry-Definitions: missing.yaml\n", "a.yaml": TEMPLATE},
     "Entry-Definitions names 'missing.yaml', which is not a file of the archive"),
    ({"TOSCA.meta": b"CSAR-Version: 2.0\nEntry-Definitions: a.yaml\nOther-Definitions: gone.yaml\n",
      "a.yaml": TEMPLATE}, "Other-Definitions names 'gone.yaml'"),
    ({"TOSCA.meta": META_2, "TOSCA-Metadata/TOSCA.meta": META_2, "service.yaml": TEMPLATE},
     "may hold only one"),
    ({"TOSCA.meta": b"Created-By: me\nEntry-Definitions: a.yaml\n", "a.yaml": TEMPLATE}, "no CSAR-Version"),
    ({"TOSCA.meta": b"CSAR-Version: 3.1\nEntry-Definitions: a.yaml\n", "a.yaml": TEMPLATE},
     "CSAR-Version '3.1' is not one of"),
    ({"TOSCA.meta": b"CSAR-Version: 1.1\nCreated-By: me\nEntry-Definitions: a.yaml\n", "a.yaml": TEMPLATE},
     "no TOSCA-Meta-File-Version; the 1.x form needs 1.0 or 1.1"),
    ({"TOSCA.meta": b"TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nEntry-Definitions: a.yaml\n",
      "a.yaml": TEMPLATE}, "no Created-By, which the 1.x form requires"),
    ({"TOSCA.meta": b"CSAR-Version: 2.0\nthis line has no colon\n", "a.yaml": TEMPLATE},
     "line 2: expected 'Keyname: value'"),
    ({"TOSCA.meta": b"CSAR-Version: 2.0\nCSAR-Version: 2.0\n", "a.yaml": TEMPLATE},
     "line 2: the keyname 'CSAR-Version' appears twice"),
    ({"TOSCA.meta": b" CSAR-Version: 2.0\n", "a.yaml": TEMPLATE}, "line 1: a continuation line"),
    ({"TOSCA.meta": b"CSAR-Version: 2.0\nEntry-Definitions: ../a.yaml\n", "a.yaml": TEMPLATE},
     "has a '..' part"),
])
def test_bad_entries_and_meta_files_are_refused(tmp_path, files, words):
    error = refusal(make_zip(tmp_path / "a.zip", files))
    assert words in str(error)
    assert error.rule in ("PT110", "PT111")


def test_a_tosca_meta_that_is_not_utf8(tmp_path):
    meta = "CSAR-Version: 2.0\nCreated-By: Dépôt\nEntry-Definitions: a.yaml\n".encode("latin-1")
    error = refusal(make_zip(tmp_path / "a.zip", {"TOSCA-Metadata/TOSCA.meta": meta, "a.yaml": TEMPLATE}))
    assert error.rule == "PT110"
    assert "TOSCA-Metadata/TOSCA.meta is not UTF-8 text (byte 31)" in str(error)


def test_continuation_lines_and_quoted_names():
    blocks = parse_meta(b"CSAR-Version: 2.0\nOther-Definitions: a.yaml\n  b.yaml\n", "x", "TOSCA.meta")
    assert blocks == [{"CSAR-Version": "2.0", "Other-Definitions": "a.yaml b.yaml"}]
    assert split_definitions('a.yaml "b c.yaml"  d.yaml') == ("a.yaml", "b c.yaml", "d.yaml")


@pytest.mark.parametrize("data", [b"", b"not an archive at all\n", b"PK\x03\x04truncated"])
def test_not_an_archive(tmp_path, data):
    path = tmp_path / "a.csar"
    path.write_bytes(data)
    error = refusal(path)
    assert error.rule == "PT110" and "not a zip file, a tarball" in str(error)


def test_missing_source(tmp_path):
    error = refusal(tmp_path / "nothing.zip")
    assert error.rule == "PT110" and "no such file or folder" in str(error)


def test_a_corrupt_member_is_reported_not_raised(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"service.yaml": TEMPLATE * 50})
    data = bytearray(path.read_bytes())
    start = data.index(b"service.yaml") + len("service.yaml") + 10  # inside the deflated data
    data[start:start + 20] = b"\xff" * 20
    path.write_bytes(bytes(data))
    error = refusal(path)
    assert error.rule in ("PT110", "PT112")
    assert "corrupt" in str(error) or "more bytes" in str(error)


# --- refusals: unsafe members -------------------------------------------------------


@pytest.mark.parametrize("name, words", [
    ("../evil.yaml", "has a '..' part that leaves the archive"),
    ("a/../../evil.yaml", "has a '..' part"),
    ("/etc/evil.yaml", "has an absolute path"),
    ("C:/evil.yaml", "has an absolute path"),
    ("a\\..\\evil.yaml", "backslash"),
])
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_path_traversal(tmp_path, name, words, kind):
    files = {"service.yaml": TEMPLATE, name: b"x"}
    source = make_zip(tmp_path / "a.zip", files) if kind == "zip" else make_tar(tmp_path / "a.tgz", files)
    error = refusal(source)
    assert error.rule == "PT111" and words in str(error)
    assert not (tmp_path / "evil.yaml").exists()


@pytest.mark.parametrize("link_type, words", [(tarfile.SYMTYPE, "is a symbolic link to '/etc/passwd'"),
                                              (tarfile.LNKTYPE, "is a hard link to '/etc/passwd'"),
                                              (tarfile.CHRTYPE, "device, FIFO"),
                                              (tarfile.FIFOTYPE, "device, FIFO")])
def test_links_and_devices_in_tarballs(tmp_path, link_type, words):
    special = tarfile.TarInfo("data.txt")
    special.type = link_type
    special.linkname = "/etc/passwd"
    error = refusal(make_tar(tmp_path / "a.tgz", {"service.yaml": TEMPLATE}, extra=[special]))
    assert error.rule == "PT111" and words in str(error)


def test_symlink_in_a_zip(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("service.yaml", TEMPLATE)
        link = zipfile.ZipInfo("passwd")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    error = refusal(path)
    assert error.rule == "PT111" and "'passwd' is a symbolic link" in str(error)


@pytest.mark.parametrize("name, make, words", [
    ("passwd", lambda path: os.symlink("/etc/passwd", path), "'passwd' is a symbolic link"),
    ("pipe", os.mkfifo, "'pipe' is a device, FIFO"),
])
def test_links_and_fifos_in_a_folder(tmp_path, name, make, words):
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "service.yaml").write_bytes(TEMPLATE)
    make(folder / name)
    error = refusal(folder)
    assert error.rule == "PT111" and words in str(error)


def test_duplicate_names(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"service.yaml": TEMPLATE})
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("service.yaml", b"tosca_definitions_version: evil\n")  # zipfile warns, writes it anyway
    error = refusal(path)
    assert error.rule == "PT111" and "'service.yaml' appears more than once" in str(error)
    same_once_cleaned = make_zip(tmp_path / "b.zip", {"service.yaml": TEMPLATE, "./service.yaml": b"x"})
    assert "'service.yaml' appears more than once" in str(refusal(same_once_cleaned))


def test_duplicate_names_in_a_tarball(tmp_path):
    path = tmp_path / "a.tar"
    with tarfile.open(path, "w") as archive:
        archive.addfile(*tar_file("service.yaml", TEMPLATE))
        archive.addfile(*tar_file("service.yaml", b"tosca_definitions_version: evil\n"))
    error = refusal(path)
    assert error.rule == "PT111" and "appears more than once" in str(error)


def test_a_file_where_a_folder_is_needed(tmp_path):
    error = refusal(make_tar(tmp_path / "a.tgz", {"service.yaml": TEMPLATE, "d": b"x", "d/e.txt": b"y"}))
    assert error.rule == "PT111" and "lies under 'd', which is a file" in str(error)
    error = refusal(make_tar(tmp_path / "b.tgz", {"service.yaml": TEMPLATE, "d/e.txt": b"y", "d": b"x"}))
    assert error.rule == "PT111" and "'d' is a file and a folder" in str(error)


def test_encrypted_member(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"service.yaml": TEMPLATE}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # set bit 0 (encrypted) in both headers
        at = data.index(header) + (6 if header == b"PK\x03\x04" else 8)
        data[at] |= 1
    path.write_bytes(bytes(data))
    error = refusal(path)
    assert error.rule == "PT110" and "is encrypted" in str(error)


# --- refusals: sizes -----------------------------------------------------------------


def test_zip_bomb_by_ratio(tmp_path):
    path = make_zip(tmp_path / "bomb.zip", {"service.yaml": TEMPLATE, "zeros.bin": b"\0" * (4 * 1024 * 1024)})
    error = refusal(path)
    assert error.rule == "PT112" and "'zeros.bin' unpacks to 4,194,304 bytes" in str(error)
    assert "compression bomb" in str(error)


def test_tarball_bomb_by_ratio(tmp_path):
    path = make_tar(tmp_path / "bomb.tgz", {"service.yaml": TEMPLATE, "zeros.bin": b"\0" * (4 * 1024 * 1024)})
    error = refusal(path)
    assert error.rule == "PT112" and "more than 200 times its size" in str(error)


def test_small_files_that_compress_well_are_fine(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"service.yaml": TEMPLATE, "blank.txt": b" " * 100_000})
    with open_csar(path) as csar:
        assert (csar.root / "blank.txt").stat().st_size == 100_000


@pytest.mark.parametrize("limits, words", [
    (CsarLimits(max_file_bytes=1000), "'big.bin' unpacks to 5,000 bytes, more than the 1,000 allowed for one file"),
    (CsarLimits(max_total_bytes=6000), "the members unpack to more than 6,000 bytes"),
    (CsarLimits(max_members=3), "more than 3 members"),
    (CsarLimits(max_archive_bytes=100), "more than the 100 allowed"),
])
def test_size_caps(tmp_path, limits, words):
    files = {"service.yaml": TEMPLATE, "big.bin": os.urandom(5000), "b.bin": os.urandom(1500), "c": b"", "d": b""}
    error = refusal(make_zip(tmp_path / "a.zip", files), limits)
    assert error.rule == "PT112" and words in str(error)


def test_a_header_that_lies_about_the_size_is_stopped_while_copying(tmp_path):
    path = tmp_path / "a.tar"
    make_tar(path, {"service.yaml": TEMPLATE}, "w")
    with open_csar(path, CsarLimits(max_total_bytes=len(TEMPLATE))) as csar:
        assert csar.entry.read_bytes() == TEMPLATE
    folder = tmp_path / "grows"
    folder.mkdir()
    (folder / "service.yaml").write_bytes(TEMPLATE)
    # a folder member that grows after it was listed: the copy counts real bytes
    from primage_tosca.source import csar as module
    real = module.folder_members

    def growing(root, label):
        for member in real(root, label):
            if member.name == "service.yaml":
                (folder / "service.yaml").write_bytes(TEMPLATE * 3)
            yield member
    module.folder_members = growing
    try:
        error = refusal(folder)
    finally:
        module.folder_members = real
    assert error.rule == "PT112" and "more bytes than its header says" in str(error)


def test_errors_become_catalogued_diagnostics(tmp_path):
    error = refusal(make_zip(tmp_path / "a.zip", {"../x.yaml": TEMPLATE}))
    diagnostic = error.diagnostic()
    assert diagnostic.rule == "PT111" and catalog.RULES["PT111"].name == "csar-unsafe"
    assert diagnostic.file == str(tmp_path / "a.zip")
    assert "'../x.yaml'" in diagnostic.message
