"""Reading the golden vectors: every case loads, ids are content hashes, and bad input is a clear
error naming the file and line."""

import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
VECTORS = os.path.join(REPO, "Conformance", "vectors")

from losscheck import VectorFileError, load, select  # noqa: E402
from losscheck.vectors import content_id  # noqa: E402


class Vectors(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="losscheck-vectors-")
        self.copy = os.path.join(self.tmp, "vectors")
        shutil.copytree(VECTORS, self.copy)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def rewrite(self, name, change, fix_digest=False):
        path = os.path.join(self.copy, name)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        change(lines)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        if fix_digest:
            import hashlib  # noqa: PLC0415

            manifest_path = os.path.join(self.copy, "MANIFEST.json")
            with open(manifest_path, encoding="utf-8") as f:
                manifest = json.load(f)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            for entry in manifest["files"]:
                if entry["name"] == name:
                    entry["sha256"] = digest
            with open(manifest_path, "w", encoding="utf-8") as f:
                json.dump(manifest, f)
        return path

    def test_every_case_loads_and_matches_the_manifest(self):
        vs = load(VECTORS)
        with open(os.path.join(VECTORS, "MANIFEST.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        self.assertEqual(len(vs), manifest["cases"])
        for entry in manifest["files"]:
            own = [c for c in vs if os.path.basename(c.file) == entry["name"]]
            self.assertEqual(len(own), entry["cases"], entry["name"])

    def test_ids_are_content_hashes(self):
        wrong = [c.id for c in load(VECTORS) if content_id(c) != c.id]
        self.assertEqual(wrong, [])

    def test_request_line_is_the_vector_line_without_expect(self):
        for c in load(VECTORS).cases[::37]:
            with open(c.file, encoding="utf-8") as f:
                raw = f.read().split("\n")[c.line - 1]
            self.assertEqual(c.request_line, raw[: raw.index(',"expect":')] + "}", c.id)

    def test_bad_digest_names_the_file(self):
        path = self.rewrite("mse.jsonl", lambda lines: lines.__setitem__(0, lines[0].replace('"float32"', '"float64"', 1)))
        with self.assertRaises(VectorFileError) as caught:
            load(self.copy)
        self.assertIn(path, str(caught.exception))
        self.assertIn("does not match the manifest", str(caught.exception))

    def test_malformed_line_names_file_and_line(self):
        path = self.rewrite("hinge.jsonl", lambda lines: lines.__setitem__(6, lines[6][:40]), fix_digest=True)
        with self.assertRaises(VectorFileError) as caught:
            load(self.copy)
        self.assertIn(f"{path}:7: malformed JSON at column", str(caught.exception))

    def test_bad_field_names_file_line_and_field(self):
        def change(lines):
            obj = json.loads(lines[2])
            obj["expect"]["regime"] = "gentle"
            lines[2] = json.dumps(obj)

        path = self.rewrite("mae.jsonl", change, fix_digest=True)
        with self.assertRaises(VectorFileError) as caught:
            load(self.copy)
        self.assertIn(f"{path}:3: expect.regime must be one of benign, edge, extreme", str(caught.exception))

    def test_float32_overflow_in_a_request(self):
        def change(lines):
            lines[0] = lines[0].replace('"yhat":[', '"yhat":[1e39,', 1).replace('"shape":[],', "", 1)

        path = self.rewrite("mse.jsonl", change, fix_digest=True)
        with self.assertRaises(VectorFileError) as caught:
            load(self.copy)
        message = str(caught.exception)
        self.assertTrue(message.startswith(f"{path}:1: the request does not decode: ArgumentError: yhat[1]: 1e39 "
                                           "is outside the range of float32"), message)

    def test_schema_and_unlisted_files(self):
        manifest_path = os.path.join(self.copy, "MANIFEST.json")
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
        with open(manifest_path, "w", encoding="utf-8") as f:
            json.dump(dict(manifest, schema="losscheck-vectors/2"), f)
        with self.assertRaisesRegex(VectorFileError, "schema 'losscheck-vectors/2', expected 'losscheck-vectors/1'"):
            load(self.copy)
        with open(manifest_path, "w", encoding="utf-8") as f:
            json.dump(manifest, f)
        shutil.copy(os.path.join(self.copy, "mae.jsonl"), os.path.join(self.copy, "extra.jsonl"))
        with self.assertRaisesRegex(VectorFileError, "extra.jsonl: not listed in"):
            load(self.copy)

    def test_duplicate_id(self):
        path = self.rewrite("mae.jsonl", lambda lines: lines.insert(5, lines[4]), fix_digest=True)
        with open(os.path.join(self.copy, "MANIFEST.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        for entry in manifest["files"]:  # counts are checked after the lines
            if entry["name"] == "mae.jsonl":
                entry.pop("cases")
                entry.pop("regimes")
        with open(os.path.join(self.copy, "MANIFEST.json"), "w", encoding="utf-8") as f:
            json.dump(dict(manifest, cases=manifest["cases"] + 1), f)
        with self.assertRaisesRegex(VectorFileError, f"{path}:6: duplicate id"):
            load(self.copy)

    def test_selection(self):
        vs = load(VECTORS)
        picked = select(vs.cases, loss="mse", dtype="float32", regime=["benign", "edge"], tag="agg:sum")
        self.assertTrue(picked)
        for c in picked:
            self.assertEqual((c.loss, c.dtype), ("mse", "float32"))
            self.assertIn("agg:sum", c.tags)
            self.assertNotEqual(c.regime.value, "extreme")
        with self.assertRaisesRegex(ValueError, "unknown loss"):
            select(vs.cases, loss="msee")

    def test_arrays_are_column_major(self):
        try:
            import numpy as np  # noqa: PLC0415
        except ImportError:
            self.skipTest("numpy is not installed")
        case = next(c for c in load(VECTORS) if list(c.request.yhat.shape) == [3, 4])
        yhat, y = case.arrays()
        self.assertTrue(yhat.flags["F_CONTIGUOUS"])
        self.assertEqual(yhat.shape, (3, 4))
        self.assertEqual(yhat.dtype, np.float32 if case.dtype == "float32" else np.float64)
        # element (i, j) lives at linear index i + 3j
        self.assertEqual(float(yhat[2, 1]), case.request.yhat.values[2 + 3 * 1])
        self.assertEqual(yhat.reshape(-1, order="F").tolist(), case.request.yhat.values)


if __name__ == "__main__":
    unittest.main()
