package dev.berth.spec.runtime;

/** A hugetlb limit for one page size ("2MB"); limit is uint64. */
public record HugepageLimit(String pageSize, long limit) {
  public HugepageLimit {
    pageSize = pageSize == null ? "" : pageSize;
  }
}
