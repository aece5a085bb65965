"""Inspection bundles (迎检资料汇编): one folder, a BagIt bag, holding

    bundle.pdf             cover, contents by criterion, every document stamped and page-numbered
    目录.docx, 目录.xlsx    the same contents, editable
    bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
    data/originals/        each original as ``<item number>_<title>.<ext>`` (the bag's payload)
    data/originals.json    file name -> sha256 and archival code, for ``verify.verify_bundle``

What inspectors open (bundle.pdf and the contents) sits at the top of the folder as BagIt tag
files, covered by the tag manifest; the originals, whose fixity is the point, are the payload.

Unnumbered documents in scope are numbered first (``numbering.number_documents``). The bundle is
built in a hidden sibling folder and renamed into place at the end, so a killed build leaves no
half bundle.

Where a bundle may go is checked first (``outpaths.check_output``: never inside, onto or above
the repository, never a system folder). An existing non-empty folder is replaced only with
``force`` and only when it is a previous bundle: its ``bag-info.txt`` says
``Bag-Software-Agent: archive-kit`` beside a ``bagit.txt``, and every file in it is one its
manifests list (``bag.bundle_problem``); a folder archive-kit did not make, or one to which
someone added a file, is never removed. The same holds for ``DIR.zip``.

Modules: ``plan`` (criteria sections and page numbers), ``front`` (cover, contents, stamps),
``pdf`` (assembling bundle.pdf), ``tables`` (目录.docx/.xlsx), ``bag`` (BagIt, zip, recognising a
previous bundle), ``build`` (the build) and ``verify`` (checking a bundle against the repository).
"""
