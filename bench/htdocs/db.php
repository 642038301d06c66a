<?php
// A page that asks the database what a WordPress front page asks: 25
// statements over one connection to MariaDB on its unix socket (options,
// the query's posts, their meta and terms, the sidebar), with literals in
// them as WordPress sends them.  The socket is the bench's (?socket=).
$c = new mysqli('localhost', 'root', '', 'bench', 0, $_GET['socket']);
$n = 0;
$q = function (string $sql) use ($c, &$n) {
    $r = $c->query($sql);
    $n++;
    return $r instanceof mysqli_result ? $r->fetch_all() : $r;
};
$q("SELECT option_name, option_value FROM wp_options WHERE autoload = 'yes'");
foreach (['siteurl', 'home', 'blogname', 'template', 'stylesheet'] as $o)
    $q("SELECT option_value FROM wp_options WHERE option_name = '$o' LIMIT 1");
$ids = array_column($q("SELECT ID FROM wp_posts WHERE post_type = 'post' AND post_status = 'publish' ORDER BY post_date DESC LIMIT 10"), 0);
$q('SELECT FOUND_ROWS()');
$q('SELECT wp_posts.* FROM wp_posts WHERE ID IN (' . implode(',', $ids) . ')');
$q('SELECT post_id, meta_key, meta_value FROM wp_postmeta WHERE post_id IN (' . implode(',', $ids) . ') ORDER BY meta_id ASC');
foreach (array_slice($ids, 0, 10) as $id)
    $q("SELECT t.*, tt.* FROM wp_terms AS t INNER JOIN wp_term_taxonomy AS tt ON t.term_id = tt.term_id INNER JOIN wp_term_relationships AS tr ON tr.term_taxonomy_id = tt.term_taxonomy_id WHERE tt.taxonomy IN ('category', 'post_tag') AND tr.object_id = $id");
$q("SELECT * FROM wp_posts WHERE post_type = 'page' AND post_status = 'publish' ORDER BY menu_order LIMIT 20");
$q("SELECT COUNT(*) FROM wp_comments WHERE comment_approved = '1'");
$q("SELECT YEAR(post_date), MONTH(post_date), COUNT(ID) FROM wp_posts WHERE post_type = 'post' GROUP BY YEAR(post_date), MONTH(post_date) ORDER BY post_date DESC");
$q("SELECT * FROM wp_comments WHERE comment_approved = '1' ORDER BY comment_date_gmt DESC LIMIT 5");
$q("SELECT option_value FROM wp_options WHERE option_name = 'widget_recent-posts' LIMIT 1");
echo $n, "\n";
